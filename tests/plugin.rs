//! The real plugin binary, launched the way Terraform launches it: handshake line, mutual TLS
//! with the pinned client certificate, health, controller shutdown, and refusals.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{provider_binary, tls_channel, ClientIdentity};
use gateway::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use gateway::proto::plugin::grpc_controller_client::GrpcControllerClient;
use gateway::proto::tfplugin6 as pb;
use gateway::proto::tfplugin6::provider_client::ProviderClient;

struct Launched {
    child: Child,
    network: String,
    address: String,
    server_cert: Vec<u8>,
    _dir: tempfile::TempDir,
}

fn launch(client_cert_pem: &str, extra_env: &[(&str, &str)]) -> Launched {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(provider_binary());
    cmd.env_clear()
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem)
        .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let parts: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(parts.len(), 6, "handshake line {line:?}");
    assert_eq!(&parts[..2], ["1", "6"]);
    assert_eq!(parts[4], "grpc");
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(parts[5])
        .unwrap();
    Launched {
        network: parts[2].to_string(),
        address: parts[3].to_string(),
        server_cert,
        child,
        _dir: dir,
    }
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[tokio::test]
async fn terraforms_client_is_served_and_shuts_the_plugin_down() {
    let terraform = ClientIdentity::generate();
    let mut plugin = launch(&terraform.cert_pem, &[]);
    assert_eq!(plugin.network, "unix");
    let path = std::path::PathBuf::from(&plugin.address);
    let channel = tls_channel(&path, plugin.server_cert.clone(), Some(&terraform))
        .await
        .unwrap();

    let schema = ProviderClient::new(channel.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.resource_schemas.contains_key("gateway_tenant"));

    let health = tonic_health::pb::health_client::HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    GrpcControllerClient::new(channel)
        .shutdown(gateway::proto::plugin::Empty {})
        .await
        .unwrap();
    let status = wait_exit(&mut plugin.child, Duration::from_secs(10)).expect("plugin exited");
    assert!(status.success());
    assert!(!path.exists(), "the socket is removed on exit");
}

#[tokio::test]
async fn a_client_without_the_pinned_certificate_is_refused() {
    let terraform = ClientIdentity::generate();
    let mut plugin = launch(&terraform.cert_pem, &[]);
    let path = std::path::PathBuf::from(&plugin.address);

    let refused = |identity: Option<ClientIdentity>| {
        let (path, server_cert) = (path.clone(), plugin.server_cert.clone());
        async move {
            match tls_channel(&path, server_cert, identity.as_ref()).await {
                Err(_) => true,
                Ok(channel) => ProviderClient::new(channel)
                    .get_metadata(pb::get_metadata::Request {})
                    .await
                    .is_err(),
            }
        }
    };
    // No client certificate at all.
    assert!(
        refused(None).await,
        "a client without a certificate was served"
    );
    // A certificate of the same kind that Terraform did not announce.
    let stranger = ClientIdentity::generate();
    assert!(
        refused(Some(stranger)).await,
        "a client with another certificate was served"
    );

    // Terraform's own certificate still works afterwards.
    let channel = tls_channel(&path, plugin.server_cert.clone(), Some(&terraform))
        .await
        .unwrap();
    ProviderClient::new(channel)
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap();
    plugin.child.kill().unwrap();
    plugin.child.wait().unwrap();
}

#[tokio::test]
async fn tcp_transport_uses_the_allowed_port_range() {
    let terraform = ClientIdentity::generate();
    let mut plugin = launch(
        &terraform.cert_pem,
        &[
            ("GATEWAY_PLUGIN_TRANSPORT", "tcp"),
            ("PLUGIN_MIN_PORT", "41000"),
            ("PLUGIN_MAX_PORT", "41100"),
        ],
    );
    assert_eq!(plugin.network, "tcp");
    let port: u16 = plugin.address.rsplit(':').next().unwrap().parse().unwrap();
    assert!((41000..=41100).contains(&port), "{port}");
    plugin.child.kill().unwrap();
    plugin.child.wait().unwrap();
}

fn run_without_handshake(env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(provider_binary());
    cmd.env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(10)).expect("exited");
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code().unwrap_or(-1), out, err)
}

#[test]
fn run_by_hand_it_says_it_is_a_plugin() {
    let (code, out, err) = run_without_handshake(&[]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("This binary is a plugin"), "{err}");
}

#[test]
fn an_old_protocol_is_refused_clearly() {
    let terraform = ClientIdentity::generate();
    let (code, out, err) = run_without_handshake(&[
        (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
        ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
        ("PLUGIN_CLIENT_CERT", &terraform.cert_pem),
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "nothing on stdout: {out}");
    assert!(err.contains("protocol 6 only"), "{err}");
}

#[test]
fn debug_mode_prints_the_reattach_value() {
    let mut child = Command::new(provider_binary())
        .arg("--debug")
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    while !text.contains("TF_REATTACH_PROVIDERS=") {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        text.push_str(&line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let json = text
        .split("TF_REATTACH_PROVIDERS='")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("reattach value");
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let entry = &value["registry.terraform.io/example/gateway"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Addr"]["Network"], "unix");
    assert_eq!(entry["Pid"], child.id());
}

/// Terraform killed outright never calls `Shutdown`: the plugin notices its launcher is gone
/// and exits by itself, instead of idling on as an orphan.
#[test]
fn the_plugin_exits_when_its_launcher_is_killed() {
    let terraform = ClientIdentity::generate();
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("plugin.pid");
    // A stand-in for Terraform: a shell that launches the plugin and waits for it.
    let mut launcher = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' & echo $! > '{}'; wait",
            provider_binary().display(),
            pid_file.display()
        ))
        .env_clear()
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", &terraform.cert_pem)
        .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(launcher.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("1|6|unix|"), "handshake line {line:?}");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(common::process_running(pid));
    // Alive and idle while its launcher is there.
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        common::process_running(pid),
        "the plugin exited while Terraform was still there"
    );

    launcher.kill().unwrap();
    launcher.wait().unwrap();
    let start = Instant::now();
    while common::process_running(pid) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !common::process_running(pid),
        "the plugin still runs 5 s after its launcher was killed"
    );
}
