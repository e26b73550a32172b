//! axum's extractors, with their rejections turned into our [`AppError`]
//! so that bad input always gets the contract's `{"detail": ...}` shape.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::ToSchema;

use crate::{
    auth::{AuthUser, Refusal, Token, Unauthorized},
    error::AppError,
    state::AppState,
};

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            axum::extract::Multipart::from_request(request, state).await?,
        ))
    }
}

/// A JSON body and the caller it authenticates, for routes whose contract
/// lets the token come in the body as a `token` field as well as in the
/// header or query (which win). The body is read first, so malformed input
/// is a 422 whoever sends it.
pub struct AuthedJson<T, W = Unauthorized> {
    pub user: AuthUser<W>,
    pub body: T,
}

/// A JSON body with the contract's optional `token` field.
#[derive(Deserialize, ToSchema)]
pub struct WithToken<T> {
    #[serde(flatten)]
    body: T,
    /// The session token, if it is not in the header or the query.
    token: Option<String>,
}

impl<T, W> FromRequest<AppState> for AuthedJson<T, W>
where
    T: DeserializeOwned + Send,
    W: Refusal,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = request.into_parts();
        let Ok(token) = Token::from_request_parts(&mut parts, state).await;
        let Json(with_token) =
            Json::<WithToken<T>>::from_request(Request::from_parts(parts, body), state).await?;
        let user = state
            .auth
            .authenticate(token.or(with_token.token).as_deref(), W::DETAIL)
            .await?;
        Ok(Self {
            user,
            body: with_token.body,
        })
    }
}
