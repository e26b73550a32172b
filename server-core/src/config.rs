//! Server configuration: command-line flags with environment-variable twins.
//! The desktop app builds the same [`Config`] in code with [`Config::new`].

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;

/// Everything a ChatterBox server needs to know before it starts.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "chatterbox-server",
    version,
    about = "ChatterBox: private real-time chat for your LAN"
)]
pub struct Config {
    /// Address and port to listen on; 0.0.0.0 serves the whole LAN.
    #[arg(long, env = "CHATTERBOX_BIND", default_value = "0.0.0.0:8000")]
    pub bind: SocketAddr,

    /// Where the SQLite database and uploaded files live
    /// [default: the platform's data directory, e.g. ~/.local/share/chatterbox].
    #[arg(long, env = "CHATTERBOX_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Largest accepted upload (chat file or profile picture), in MiB.
    #[arg(long, env = "CHATTERBOX_MAX_UPLOAD_MB", default_value_t = 25,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_upload_mb: u64,

    /// Log filter, e.g. `info`, `debug`, or `server_core=debug,tower_http=info`.
    #[arg(long, env = "CHATTERBOX_LOG", default_value = "info")]
    pub log: String,

    /// How log lines are written: `text` for people, `json` (one object a
    /// line) for log collectors.
    #[arg(long, env = "CHATTERBOX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Days a login stays valid after its last use.
    #[arg(long, env = "CHATTERBOX_SESSION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub session_days: u32,

    /// Extra origins allowed to open the WebSocket besides the server's own
    /// (e.g. the desktop app's `tauri://localhost`); repeat or comma-separate.
    #[arg(
        long = "allow-origin",
        env = "CHATTERBOX_ALLOW_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// Announce this server on the LAN (DNS-SD, `_chatterbox._tcp`) so the
    /// desktop app finds it; optionally under this name
    /// [default name: "ChatterBox on <host name>"].
    #[arg(long, env = "CHATTERBOX_ANNOUNCE", num_args = 0..=1,
          default_missing_value = "", value_name = "NAME",
          value_parser = |name: &str| Ok::<_, String>(if name.is_empty() { crate::discovery::default_name() } else { name.to_owned() }))]
    pub announce: Option<String>,

    /// How often each WebSocket is pinged; a peer silent for two intervals is
    /// considered gone. Tests shorten it to observe dead peers quickly.
    #[arg(skip = Duration::from_secs(20))]
    pub ping_interval: Duration,

    /// Presence changes within this long of the last announcement are
    /// gathered into one frame, so that a whole office reconnecting costs
    /// each socket a few frames, not one per person. The first change after
    /// a quiet interval goes out at once. Tests set zero: every change at
    /// once, alone.
    #[arg(skip = Duration::from_secs(1))]
    pub presence_interval: Duration,

    /// Login attempts allowed in a burst per username, and four times as
    /// many per client address, before answers turn to 429; one attempt is
    /// regained every 12 seconds. Raise it when many people share one
    /// address (NAT) or for load tests.
    #[arg(long, env = "CHATTERBOX_LOGIN_BURST", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub login_burst: u32,
    /// How often a throttled username or address regains one attempt.
    #[arg(skip = Duration::from_secs(12))]
    pub login_refill: Duration,

    /// Registrations allowed in a burst per client address before answers
    /// turn to 429; one more is allowed every 30 seconds.
    #[arg(long, env = "CHATTERBOX_REGISTER_BURST", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub register_burst: u32,
    /// How often a throttled address regains one registration.
    #[arg(skip = Duration::from_secs(30))]
    pub register_refill: Duration,

    /// Open connections past which a new one is answered 503 and closed
    /// [default: half of what the open-file limit leaves after a reserve for
    /// the database and the like, since a connection may also hold a file it
    /// uploads or serves].
    #[arg(long, env = "CHATTERBOX_MAX_CONNECTIONS", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,

    /// Open connections from one client address past which a new one from
    /// it is answered 503 and closed. Generous, for offices behind one NAT
    /// address (a browser holds up to six, plus one per chat tab).
    #[arg(long, env = "CHATTERBOX_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 512,
          value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_address: u32,

    /// Seconds a client has to send a request's headers, counted from when
    /// the connection opens or its previous answer ends; so an idle
    /// keep-alive connection also closes after this long.
    #[arg(long, env = "CHATTERBOX_HEADER_TIMEOUT", default_value = "20",
          value_name = "SECONDS", value_parser = seconds)]
    pub header_timeout: Duration,

    /// Seconds a connection may go without a byte moving either way before
    /// it is closed, mid-request included (a stalled upload, a client that
    /// stops reading). WebSockets have their own pings instead.
    #[arg(long, env = "CHATTERBOX_IDLE_TIMEOUT", default_value = "60",
          value_name = "SECONDS", value_parser = seconds)]
    pub idle_timeout: Duration,

    /// Password hashes and checks that may wait for a hashing thread; past
    /// that, requests needing one get 503 with `Retry-After` at once instead
    /// of slowing everyone's login down. Raise it for load tests that sign
    /// many people up at once.
    #[arg(long, env = "CHATTERBOX_HASH_QUEUE", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub hash_queue: u32,

    /// Lets `GET /metrics` be read from other machines by requests carrying
    /// `Authorization: Bearer <TOKEN>`; without it, only this machine
    /// (a loopback peer) may read it.
    #[arg(long, env = "CHATTERBOX_METRICS_TOKEN", value_name = "TOKEN",
          hide_env_values = true,
          value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub metrics_token: Option<String>,
}

/// A positive number of seconds, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && (0.001..=86_400.0).contains(secs))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?} is not a number of seconds from 0.001 to 86400"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// The defaults (as overridden by any `CHATTERBOX_*` variables) for an
    /// embedded server such as the desktop app's, storing its data in
    /// `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let mut config = Self::parse_from(["chatterbox-server"]);
        config.data_dir = Some(data_dir.into());
        config
    }

    /// The data directory, falling back to the platform's data dir, then to
    /// `./chatterbox-data` on systems without one.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| {
            directories::ProjectDirs::from("", "", "chatterbox")
                .map(|dirs| dirs.data_dir().to_path_buf())
                .unwrap_or_else(|| PathBuf::from("chatterbox-data"))
        })
    }

    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_mb * 1024 * 1024
    }
}
