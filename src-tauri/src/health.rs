//! "Is there a ChatterBox server at this address?": a GET of `/healthz`
//! that must answer `{"status": "ok"}`. Join mode saves nothing until it does.
//! The answer's `online` (how many people are connected) is shown in the
//! list of servers found on the LAN.

use std::time::Duration;

/// Long enough for a busy server on Wi-Fi, short enough that a typo is
/// reported while the person is still looking at the form.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Checks the server at `base` (a normalised `http://host:port/`), returning
/// a sentence for the person when it is not a healthy ChatterBox server, or
/// how many people are online there.
pub async fn check(base: &str) -> Result<Option<u64>, String> {
    let url = format!("{base}healthz");
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let response = client.get(&url).send().await.map_err(|e| {
        if e.is_timeout() {
            format!(
                "{base} did not answer within {} seconds.",
                TIMEOUT.as_secs()
            )
        } else {
            format!("Cannot reach {base}: is the server running and the address right?")
        }
    })?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("{base} stopped answering: {e}"))?;
    judge(base, status, &body)
}

/// The pure part: is this answer a healthy ChatterBox server's?
fn judge(base: &str, status: u16, body: &[u8]) -> Result<Option<u64>, String> {
    let answer = serde_json::from_slice::<serde_json::Value>(body).ok();
    let healthy = status == 200
        && answer
            .as_ref()
            .is_some_and(|v| v.get("status").and_then(|s| s.as_str()) == Some("ok"));
    if healthy {
        Ok(answer.and_then(|v| v.get("online")?.as_u64()))
    } else {
        Err(format!(
            "{base} answered, but not as a ChatterBox server (HTTP {status} from /healthz)."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_status_ok_counts_as_healthy() {
        let base = "http://x/";
        assert_eq!(
            judge(base, 200, br#"{"status":"ok","online":2}"#),
            Ok(Some(2))
        );
        assert_eq!(judge(base, 200, br#"{"status":"ok"}"#), Ok(None));
        assert!(judge(base, 200, br#"{"status":"starting"}"#).is_err());
        assert!(judge(base, 200, b"<html>router login</html>").is_err());
        assert!(judge(base, 503, br#"{"status":"ok"}"#).is_err());
    }

    #[tokio::test]
    async fn a_running_chatterbox_server_passes_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = server_core::Config::new(dir.path());
        config.bind = "127.0.0.1:0".parse().unwrap();
        let server = server_core::Server::start(config).await.unwrap();
        let base = format!("http://{}/", server.local_addr);

        let result = check(&base).await;

        server.shutdown().await.unwrap();
        assert_eq!(result, Ok(Some(0)), "a healthy server, nobody online yet");
    }

    #[tokio::test]
    async fn an_address_where_nothing_listens_is_reported_as_unreachable() {
        // Bind then drop: the port is very likely free for the next second.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}/");

        let err = check(&base).await.unwrap_err();

        assert!(err.contains("Cannot reach"), "{err}");
    }
}
