//! `chatterbox-server`: the headless server for a LAN.

use std::{io::IsTerminal, net::IpAddr, process::ExitCode, time::Duration};

use clap::Parser;
use server_core::{Config, config::LogFormat};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "chatterbox-server",
    version,
    about = "ChatterBox: private real-time chat for your LAN"
)]
struct Cli {
    #[command(flatten)]
    config: Config,

    /// Instead of serving, list the ChatterBox servers announcing themselves
    /// on the LAN, listening this many seconds.
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, default_missing_value = "3")]
    discover: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let Cli { config, discover } = Cli::parse();
    if let Some(seconds) = discover {
        return list_servers(Duration::from_secs(seconds)).await;
    }
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|e| {
        eprintln!("ignoring log filter {:?}: {e}", config.log);
        EnvFilter::new("info")
    });
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        // One JSON object a line, with the span fields (user, socket) flat
        // beside the event's.
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }

    raise_open_file_limit();

    let listener = match TcpListener::bind(config.bind).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("chatterbox-server: cannot listen on {}: {e}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    let port = listener
        .local_addr()
        .map_or(config.bind.port(), |a| a.port());
    println!(
        "ChatterBox is running. Data: {}",
        config.data_dir().display()
    );
    for address in addresses(config.bind.ip()) {
        println!(
            "  open http://{}/",
            std::net::SocketAddr::new(address, port)
        );
    }

    match server_core::serve(listener, config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chatterbox-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Every connection needs a descriptor, and the soft limit is often 1,024
/// while the hard one is far higher: take all we may, since the server's
/// default `--max-connections` is derived from it.
fn raise_open_file_limit() {
    #[cfg(unix)]
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
}

/// `--discover`: one line per server found, name then address.
async fn list_servers(window: Duration) -> ExitCode {
    match server_core::discovery::browse(window).await {
        Ok(servers) => {
            if servers.is_empty() {
                eprintln!("no ChatterBox server answered on this network");
            }
            for server in servers {
                println!("{}\t{}", server.name, server.url().unwrap_or_default());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("chatterbox-server: cannot browse the LAN: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where people can reach us: the bound address, or, when bound to all
/// interfaces, this machine's own addresses (LAN ones first).
fn addresses(bound: IpAddr) -> Vec<IpAddr> {
    if !bound.is_unspecified() {
        return vec![bound];
    }
    let mut found: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|interface| interface.ip())
        .filter(|ip| ip.is_ipv4() == bound.is_ipv4())
        .collect();
    found.sort_by_key(|ip| (ip.is_loopback(), *ip));
    found.dedup();
    found
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
