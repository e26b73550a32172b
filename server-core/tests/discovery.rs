//! LAN discovery across a real (virtual) network: two network namespaces
//! joined by a veth pair, made and removed by this test. The server
//! announces itself in one; `chatterbox-server --discover` looks from the
//! other. Nothing touches the machine's real interfaces. Needs root (as CI
//! is); elsewhere the test says why it cannot run and passes.

use std::{
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

const SERVER: &str = env!("CARGO_BIN_EXE_chatterbox-server");

/// Two namespaces and the veth between them; removed on drop.
struct TestNetwork {
    host: String,
    guest: String,
}

fn ip(args: &[&str]) -> Output {
    Command::new("ip").args(args).output().expect("run ip")
}

impl TestNetwork {
    /// `None` when namespaces cannot be made here (not root, no iproute2).
    fn create() -> Option<Self> {
        let id = std::process::id();
        let network = Self {
            host: format!("cb-host-{id}"),
            guest: format!("cb-guest-{id}"),
        };
        let made = Command::new("ip")
            .args(["netns", "add", &network.host])
            .output();
        if !made.is_ok_and(|out| out.status.success()) {
            return None;
        }
        let (veth_host, veth_guest) = (format!("cbh{id}"), format!("cbg{id}"));
        // 192.0.2.0/24 is TEST-NET-1: documentation only, routed nowhere.
        for args in [
            vec!["netns", "add", &network.guest],
            vec![
                "link",
                "add",
                &veth_host,
                "type",
                "veth",
                "peer",
                "name",
                &veth_guest,
            ],
            vec!["link", "set", &veth_host, "netns", &network.host],
            vec!["link", "set", &veth_guest, "netns", &network.guest],
            vec![
                "-n",
                &network.host,
                "addr",
                "add",
                "192.0.2.1/24",
                "dev",
                &veth_host,
            ],
            vec![
                "-n",
                &network.guest,
                "addr",
                "add",
                "192.0.2.2/24",
                "dev",
                &veth_guest,
            ],
            vec!["-n", &network.host, "link", "set", "lo", "up"],
            vec!["-n", &network.guest, "link", "set", "lo", "up"],
            vec!["-n", &network.host, "link", "set", &veth_host, "up"],
            vec!["-n", &network.guest, "link", "set", &veth_guest, "up"],
        ] {
            let out = ip(&args);
            assert!(
                out.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(network)
    }

    fn server(&self, port: u16, data: &Path, announce: Option<&str>) -> Running {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.host, SERVER, "--bind"]);
        command
            .arg(format!("0.0.0.0:{port}"))
            .arg("--data-dir")
            .arg(data);
        if let Some(name) = announce {
            command.args(["--announce", name]);
        }
        Running(
            command
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("server starts"),
        )
    }

    /// What `--discover` sees from the guest namespace.
    fn discover(&self) -> String {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.guest, SERVER, "--discover", "1"])
            .output()
            .expect("discover runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Looks until `wanted` holds for the listing, for at most 30 s.
    fn discover_until(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let listing = self.discover();
            if wanted(&listing) || Instant::now() > deadline {
                return listing;
            }
        }
    }
}

impl Drop for TestNetwork {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end inside it, and its peer.
        ip(&["netns", "del", &self.host]);
        ip(&["netns", "del", &self.guest]);
    }
}

struct Running(Child);

impl Running {
    /// SIGTERM, as a service manager would, then wait.
    fn stop(mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_announced_server_is_found_from_another_host_and_forgotten_when_it_stops() {
    let Some(network) = TestNetwork::create() else {
        eprintln!("skipped: making network namespaces needs root and iproute2");
        return;
    };
    let data = tempfile::tempdir().expect("temp dir");
    let quiet_data = tempfile::tempdir().expect("temp dir");
    let quiet = network.server(8001, quiet_data.path(), None);
    let announced = network.server(8000, data.path(), Some("Test Office"));

    let listing = network.discover_until(|l| l.contains("Test Office"));

    assert!(
        listing
            .lines()
            .any(|l| l == "Test Office\thttp://192.0.2.1:8000/"),
        "found with its LAN address: {listing:?}"
    );
    assert!(
        !listing.contains(":8001"),
        "servers without --announce stay unlisted: {listing:?}"
    );

    announced.stop();
    let listing = network.discover_until(|l| !l.contains("Test Office"));
    assert!(
        !listing.contains("Test Office"),
        "gone once stopped: {listing:?}"
    );
    quiet.stop();
}
