//! Host mode: server-core in this process, listening on the LAN and
//! announcing itself with DNS-SD, its data in the platform data dir.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::Path,
};

use server_core::{Config, RunningServer, Server, discovery};

/// The port people expect (the headless server's default); when it is taken
/// (say a `chatterbox-server` already runs here) any free port will do, and
/// DNS-SD tells the others which one.
const PREFERRED: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 8000);
const ANY_PORT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);

pub async fn start(data_dir: &Path) -> Result<RunningServer, String> {
    let config = |bind| {
        let mut config = Config::new(data_dir);
        config.bind = bind;
        config.announce = Some(discovery::default_name());
        config
    };
    match Server::start(config(PREFERRED)).await {
        Ok(server) => Ok(server),
        Err(first) => {
            tracing::warn!(error = %first, "cannot serve on port 8000, trying any free port");
            Server::start(config(ANY_PORT)).await.map_err(|e| {
                format!(
                    "Cannot start the server (data in {}): {e}",
                    data_dir.display()
                )
            })
        }
    }
}

/// The address to tell others: the first LAN IPv4 address, else loopback.
pub fn lan_address() -> IpAddr {
    let addresses = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|iface| iface.ip());
    pick_lan_address(addresses)
}

fn pick_lan_address(addresses: impl IntoIterator<Item = IpAddr>) -> IpAddr {
    addresses
        .into_iter()
        .find(|a| matches!(a, IpAddr::V4(v4) if !v4.is_loopback() && !v4.is_link_local()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lan_address_skips_loopback_link_local_and_ipv6() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            pick_lan_address([
                ip("127.0.0.1"),
                ip("fe80::1"),
                ip("169.254.3.4"),
                ip("192.168.1.20")
            ]),
            ip("192.168.1.20")
        );
        assert_eq!(pick_lan_address([ip("127.0.0.1")]), ip("127.0.0.1"));
    }
}
