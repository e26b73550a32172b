//! Ours: finding messages by their words (docs/protocol.md, "Search").

use std::collections::HashMap;

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Json, Query};
use crate::{
    auth::AuthUser,
    domain::messages,
    error::{AppError, AppResult, Problem},
    state::AppState,
    store::{ConversationId, SearchQuery, UserId, parse_timestamp},
    ws::protocol::MessageView,
};

/// Results when the client names no number, and the most it may ask for.
const DEFAULT_RESULTS: u32 = 20;
const MAX_RESULTS: u32 = 50;
/// Longer is not a search but a paste; it would only cost time.
const MAX_QUERY_CHARS: usize = 200;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// The words to find, all of them, in any order; the last may be the
    /// start of a word. No syntax: quotes, `*`, `OR`, `NEAR`, `-` are text.
    #[param(min_length = 1, max_length = 200)]
    q: String,
    /// Only in this conversation.
    conversation_id: Option<ConversationId>,
    /// Only messages this person sent.
    sender_id: Option<UserId>,
    /// Only messages sent at or after this time: RFC 3339, or a date
    /// (`2026-12-01`, from its midnight UTC).
    after: Option<String>,
    /// Only messages sent before this time: RFC 3339, or a date (before its
    /// midnight UTC).
    before: Option<String>,
    /// `true`: only files (found by their names); `false`: only text.
    has_file: Option<bool>,
    /// How many results, at most; fewer than 1 count as 1, more than 50 as
    /// 50. 20 when not given.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295_i64)]
    limit: Option<u32>,
    /// How many of the best results to skip, for the next page.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295_i64)]
    offset: Option<u32>,
}

impl SearchParams {
    fn query(self) -> AppResult<SearchQuery> {
        if self.q.trim().is_empty() {
            return Err(AppError::Unprocessable(
                "Type something to search for".into(),
            ));
        }
        if self.q.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::Unprocessable(format!(
                "A search is at most {MAX_QUERY_CHARS} characters"
            )));
        }
        Ok(SearchQuery {
            after: moment("after", self.after.as_deref())?,
            before: moment("before", self.before.as_deref())?,
            text: self.q,
            conversation: self.conversation_id,
            sender: self.sender_id,
            has_file: self.has_file,
            limit: self.limit.unwrap_or(DEFAULT_RESULTS).clamp(1, MAX_RESULTS),
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// An RFC 3339 time, or a date as its midnight UTC.
fn moment(name: &str, text: Option<&str>) -> AppResult<Option<DateTime<Utc>>> {
    let Some(text) = text else { return Ok(None) };
    parse_timestamp(text)
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|date| date.and_hms_opt(0, 0, 0))
                .map(|midnight| midnight.and_utc())
        })
        .map(Some)
        .ok_or_else(|| {
            AppError::Unprocessable(format!(
                "`{name}` must be a date (2026-12-01) or an RFC 3339 time"
            ))
        })
}

#[derive(Serialize, ToSchema)]
struct SearchResults {
    /// Best first.
    results: Vec<SearchResult>,
    /// Whether there are more: ask again with `offset` past these.
    more: bool,
}

#[derive(Serialize, ToSchema)]
struct SearchResult {
    message: MessageView,
    conversation_id: ConversationId,
    /// The message's text, or its file's name, around the words found.
    snippet: Vec<SnippetPart>,
}

/// A piece of a snippet; the words that matched are `hit`.
#[derive(Serialize, ToSchema)]
struct SnippetPart {
    #[schema(example = "the budget")]
    text: String,
    hit: bool,
}

/// Ours: finds messages by their words in every conversation the caller
/// is in, or was in up to when they left; never from before they joined.
#[utoipa::path(
    get,
    path = "/search",
    tag = "conversations",
    params(SearchParams),
    security(("bearer" = []), ("token" = [])),
    responses(
        (status = 200, description = "Best first: the most relevant of the newest 1000 matches, the newer on a tie", body = SearchResults),
        (status = 422, description = "No words, too many characters, or a bad date, id or number", body = Problem),
    )
)]
async fn search(
    State(state): State<AppState>,
    user: AuthUser,
    Query(params): Query<SearchParams>,
) -> AppResult<Json<SearchResults>> {
    let page = messages::search(&state, user.user_id, params.query()?).await?;
    let conversations: HashMap<_, _> = page
        .conversations
        .into_iter()
        .map(|conversation| (conversation.id, conversation))
        .collect();
    let results = page
        .results
        .into_iter()
        .filter_map(|found| {
            let conversation = conversations.get(&found.message.conversation_id)?;
            Some(SearchResult {
                conversation_id: conversation.id,
                message: MessageView::new(found.message, conversation),
                snippet: found
                    .snippet
                    .into_iter()
                    .map(|segment| SnippetPart {
                        text: segment.text,
                        hit: segment.hit,
                    })
                    .collect(),
            })
        })
        .collect();
    Ok(Json(SearchResults {
        results,
        more: page.more,
    }))
}
