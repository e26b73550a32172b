//! Finding ChatterBox servers on the LAN without typing addresses: a server
//! started with `--announce` advertises itself over DNS-SD (multicast DNS,
//! service `_chatterbox._tcp`), and [`browse`] lists the ones that answer.
//! The desktop app's Join screen and `chatterbox-server --discover` use it.

use std::{collections::BTreeMap, net::IpAddr, time::Duration};

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use serde::Serialize;

pub const SERVICE_TYPE: &str = "_chatterbox._tcp.local.";

/// A running advertisement; withdrawn (with a goodbye packet, so browsers
/// forget us at once) when dropped.
pub struct Announcement {
    daemon: ServiceDaemon,
    fullname: String,
}

/// A friendly name for this server: "ChatterBox on <host>".
pub fn default_name() -> String {
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    format!("ChatterBox on {host}")
}

impl Announcement {
    /// Advertises a server called `name` listening on `port` on every
    /// interface of this machine.
    pub fn start(name: &str, port: u16) -> Result<Self, mdns_sd::Error> {
        let daemon = ServiceDaemon::new()?;
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        // DNS labels: keep the host name simple whatever the machine says.
        let host: String = host
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let properties = [("version", env!("CARGO_PKG_VERSION")), ("path", "/")];
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            name,
            &format!("{host}.local."),
            "",
            port,
            &properties[..],
        )?
        .enable_addr_auto();
        let fullname = info.get_fullname().to_owned();
        daemon.register(info)?;
        tracing::info!(name, port, "announcing on the LAN ({SERVICE_TYPE})");
        Ok(Self { daemon, fullname })
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        // Both calls only queue a command for the daemon's own thread.
        let _ = self.daemon.unregister(&self.fullname);
        let _ = self.daemon.shutdown();
    }
}

/// A server that answered.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FoundServer {
    pub name: String,
    pub addresses: Vec<IpAddr>,
    pub port: u16,
    pub version: Option<String>,
}

impl FoundServer {
    /// Its address to open in a browser, IPv4 first.
    pub fn url(&self) -> Option<String> {
        let address = self.addresses.iter().min_by_key(|a| a.is_ipv6())?;
        Some(match address {
            IpAddr::V4(v4) => format!("http://{v4}:{}/", self.port),
            IpAddr::V6(v6) => format!("http://[{v6}]:{}/", self.port),
        })
    }
}

/// Listens for `window` and returns the servers that answered, by name.
pub async fn browse(window: Duration) -> Result<Vec<FoundServer>, mdns_sd::Error> {
    let daemon = ServiceDaemon::new()?;
    let events = daemon.browse(SERVICE_TYPE)?;
    let mut found = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + window;
    while let Ok(Ok(event)) = tokio::time::timeout_at(deadline, events.recv_async()).await {
        match event {
            ServiceEvent::ServiceResolved(service) => {
                let name = instance_name(&service.fullname);
                let mut addresses: Vec<IpAddr> = service
                    .addresses
                    .iter()
                    .map(|a| a.to_ip_addr())
                    .filter(|a| !a.is_loopback())
                    .collect();
                addresses.sort();
                let version = service
                    .txt_properties
                    .get_property_val_str("version")
                    .map(str::to_owned);
                found.insert(
                    name.clone(),
                    FoundServer {
                        name,
                        addresses,
                        port: service.port,
                        version,
                    },
                );
            }
            ServiceEvent::ServiceRemoved(_, fullname) => {
                found.remove(&instance_name(&fullname));
            }
            _ => {}
        }
    }
    let _ = daemon.shutdown();
    Ok(found
        .into_values()
        .filter(|s| !s.addresses.is_empty())
        .collect())
}

/// "Office._chatterbox._tcp.local." -> "Office".
fn instance_name(fullname: &str) -> String {
    fullname
        .strip_suffix(SERVICE_TYPE)
        .map(|name| name.trim_end_matches('.'))
        .unwrap_or(fullname)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_lose_the_service_type() {
        assert_eq!(
            instance_name("ChatterBox on desk._chatterbox._tcp.local."),
            "ChatterBox on desk"
        );
        assert_eq!(instance_name("odd"), "odd");
    }

    #[test]
    fn urls_prefer_ipv4() {
        let server = FoundServer {
            name: "x".into(),
            addresses: vec!["fe80::1".parse().unwrap(), "192.0.2.7".parse().unwrap()],
            port: 8000,
            version: None,
        };
        assert_eq!(server.url().as_deref(), Some("http://192.0.2.7:8000/"));
    }
}
