//! The provider as users get it: `scripts/release` packages and signs it and lays out a static
//! provider registry and a network mirror; each is served over HTTPS on loopback with a throwaway
//! CA, and real Terraform (every version in `VERSIONS`) installs it with `terraform init`.
//!
//! - registry: init verifies the GPG signature (the output names the signing key), the lock file
//!   records Terraform's own `h1:` hash, which must equal the one the release computed;
//! - mirror: init verifies the checksum, same `h1:` check;
//! - then `terraform providers` and `validate` run the installed plugin;
//! - a tampered zip (registry and mirror) and a signature by another key make init fail;
//! - `scripts/release` refuses an ed25519 key (Terraform 1.0.x cannot verify it) and writes nothing.
//!
//! The release packages the debug binary Cargo built for this test (`--binary`): the release
//! profile takes minutes to build cold. `GATEWAY_TEST_RELEASE_BUILD=1` runs the full
//! `cargo build --release` instead. Needs `gpg` (Debian: gnupg).

mod common;

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::succeeded;
use common::terraform::{ensure_tools, repo_root, Output, Workspace, VERSIONS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAMESPACE: &str = "example";
const PROJECT: &str = "terraform-provider-gateway";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const PLATFORM: &str = "linux_amd64";

#[test]
fn release_installs_from_a_registry_and_a_mirror_with_verification() {
    ensure_tools();
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ca = TestCa::new();
    let ca_pem = root.join("ca.pem");
    std::fs::write(&ca_pem, &ca.pem).unwrap();

    // Listeners first: the good site's documents carry absolute URLs (`--base-url`).
    let good = Site::bind(&rt, &ca, root.join("good"));
    let tampered = Site::bind(&rt, &ca, root.join("tampered"));
    let foreign = Site::bind(&rt, &ca, root.join("foreign"));

    let signer = GnupgHome::with_new_key("gateway release test <release@example.invalid>");
    let other = GnupgHome::with_new_key("someone else <other@example.invalid>");

    // 1. The release, with the registry and the mirror in one site behind one base URL.
    let dist = root.join("dist");
    let mut args = publish_args(&dist, &good);
    args.extend([OsStr::new("--base-url"), OsStr::new(&good.url)]);
    let out = release(&signer, &args);
    assert!(out.contains(&signer.key_id), "{out}");
    let zip = dist.join(format!("{PROJECT}_{VERSION}_{PLATFORM}.zip"));
    let sums =
        std::fs::read_to_string(dist.join(format!("{PROJECT}_{VERSION}_SHA256SUMS"))).unwrap();
    assert_eq!(
        sums.lines()
            .map(|l| l.split("  ").nth(1).unwrap())
            .collect::<Vec<_>>(),
        [
            format!("{PROJECT}_{VERSION}_{PLATFORM}.zip"),
            format!("{PROJECT}_{VERSION}_manifest.json"),
        ]
    );
    let mirror_doc = good.dir.join(format!(
        "registry.terraform.io/{NAMESPACE}/gateway/{VERSION}.json"
    ));
    let mirror_doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(mirror_doc).unwrap()).unwrap();
    let h1 = mirror_doc["archives"][PLATFORM]["hashes"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(h1.starts_with("h1:"), "{mirror_doc}");

    // 2. The same input again (relative URLs this time): the same zip, byte for byte.
    let dist2 = root.join("dist2");
    release(&signer, &publish_args(&dist2, &foreign));
    let zip2 = dist2.join(zip.file_name().unwrap());
    assert!(
        std::fs::read(&zip).unwrap() == std::fs::read(&zip2).unwrap(),
        "the zip is not reproducible"
    );
    assert_eq!(
        sums,
        std::fs::read_to_string(dist2.join(format!("{PROJECT}_{VERSION}_SHA256SUMS"))).unwrap()
    );

    // 3. Bad copies: a different binary under the same name, and a signature by another key.
    copy_tree(&foreign.dir, &tampered.dir);
    let bad_zip = tampered_zip(root);
    for dir in [
        format!("v1/providers/{NAMESPACE}/gateway/{VERSION}"),
        format!("registry.terraform.io/{NAMESPACE}/gateway"),
    ] {
        std::fs::copy(
            &bad_zip,
            tampered.dir.join(dir).join(zip.file_name().unwrap()),
        )
        .unwrap();
    }
    let sig = foreign.dir.join(format!(
        "v1/providers/{NAMESPACE}/gateway/{VERSION}/{PROJECT}_{VERSION}_SHA256SUMS.sig"
    ));
    other.sign(&dist.join(format!("{PROJECT}_{VERSION}_SHA256SUMS")), &sig);
    let key_id = signer.key_id.clone();
    drop(signer);
    drop(other);

    // 4. Terraform, each version in its own thread.
    std::thread::scope(|s| {
        for version in VERSIONS {
            let (good, tampered, foreign) = (&good, &tampered, &foreign);
            let (ca_pem, h1, key_id) = (&ca_pem, &h1, &key_id);
            s.spawn(move || {
                let registry = registry_install(version, good, ca_pem);
                assert_eq!(registry.code, 0, "{version} registry init:\n{registry:?}");
                assert!(
                    registry
                        .stdout
                        .contains(&format!("(self-signed, key ID {key_id})")),
                    "{version} registry init does not name the signing key:\n{}",
                    registry.stdout
                );
                assert_eq!(registry.lock_h1(), Some(h1.clone()), "{version} registry");

                let mirror = mirror_install(version, good, ca_pem);
                assert_eq!(mirror.code, 0, "{version} mirror init:\n{mirror:?}");
                assert!(
                    mirror.stdout.contains("(verified checksum)"),
                    "{version} mirror init:\n{}",
                    mirror.stdout
                );
                assert_eq!(mirror.lock_h1(), Some(h1.clone()), "{version} mirror");

                let bad = registry_install(version, tampered, ca_pem);
                assert_ne!(
                    bad.code, 0,
                    "{version}: a tampered zip installed from the registry"
                );
                assert!(
                    bad.all().contains("archive has incorrect checksum"),
                    "{version} registry, tampered zip:\n{bad:?}"
                );
                let bad = mirror_install(version, tampered, ca_pem);
                assert_ne!(
                    bad.code, 0,
                    "{version}: a tampered zip installed from the mirror"
                );
                assert!(
                    bad.all()
                        .contains("doesn't match the any of the expected checksums"),
                    "{version} mirror, tampered zip:\n{bad:?}"
                );
                let bad = registry_install(version, foreign, ca_pem);
                assert_ne!(bad.code, 0, "{version}: a foreign signature was accepted");
                assert!(
                    bad.all().contains("signature from unknown issuer"),
                    "{version} registry, foreign signature:\n{bad:?}"
                );
            });
        }
    });
    for site in [&good, &tampered, &foreign] {
        let log = site.requests.lock().unwrap();
        assert!(
            log.iter().any(|r| r.ends_with(".zip")),
            "{} served no zip: {log:?}",
            site.url
        );
    }
}

/// The release command's arguments for writing to `dist` and publishing the registry and the
/// mirror in `site`.
fn publish_args<'a>(dist: &'a Path, site: &'a Site) -> Vec<&'a OsStr> {
    let dir = site.dir.as_os_str();
    vec![
        "--out".as_ref(),
        dist.as_os_str(),
        "--registry".as_ref(),
        dir,
        "--mirror".as_ref(),
        dir,
    ]
}

#[test]
fn release_refuses_a_key_terraform_1_0_cannot_verify() {
    let gnupg = GnupgHome::with_new_key_of("ed25519 <ed@example.invalid>", "ed25519");
    let out = tempfile::tempdir().unwrap();
    let result = Command::new(repo_root().join("scripts/release"))
        .arg("--out")
        .arg(out.path())
        .arg("--binary")
        .arg(common::provider_binary())
        .env("GNUPGHOME", gnupg.dir.path())
        .env_remove("GATEWAY_SIGNING_KEY")
        .env_remove("GATEWAY_SIGNING_KEY_ID")
        .output()
        .expect("running scripts/release");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success(), "{stderr}");
    assert!(stderr.contains("is not RSA"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "{stderr}"
    );
}

/// What one install did: init's output, then the checks run on the installed provider.
#[derive(Debug)]
struct Install {
    code: i32,
    stdout: String,
    stderr: String,
    lock: String,
}

impl Install {
    /// stdout and stderr with Terraform's line wrapping undone.
    fn all(&self) -> String {
        format!("{} {}", self.stdout, self.stderr)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `h1:` hash `terraform init` recorded in `.terraform.lock.hcl`.
    fn lock_h1(&self) -> Option<String> {
        self.lock
            .lines()
            .map(|l| l.trim().trim_matches(|c| c == '"' || c == ','))
            .find(|l| l.starts_with("h1:"))
            .map(str::to_string)
    }
}

/// Installs from the registry at `site`: `source = "localhost:<port>/example/gateway"`.
fn registry_install(version: &'static str, site: &Site, ca_pem: &Path) -> Install {
    let source = format!("{}/{NAMESPACE}/gateway", site.host);
    install(version, &source, "direct {}", ca_pem)
}

/// Installs from the network mirror at `site`: the configuration keeps `example/gateway`.
fn mirror_install(version: &'static str, site: &Site, ca_pem: &Path) -> Install {
    let method = format!("network_mirror {{\n    url = \"{}/\"\n  }}", site.url);
    install(version, &format!("{NAMESPACE}/gateway"), &method, ca_pem)
}

/// `terraform init` with only `method` in `provider_installation` (no dev_overrides), then, when
/// it succeeded, `providers` and `validate` with the installed plugin.
fn install(version: &'static str, source: &str, method: &str, ca_pem: &Path) -> Install {
    // Provider functions exist from Terraform 1.8: only newer versions get one in the configuration.
    let function = if version == "1.0.3" {
        ""
    } else {
        "output \"host\" {\n  value = provider::gateway::tenant_host(\"acme\", \"gateway.example.com\")\n}\n"
    };
    let main_tf = format!(
        r#"terraform {{
  required_providers {{
    gateway = {{
      source = "{source}"
    }}
  }}
}}

provider "gateway" {{
  region                      = "eu-west-1"
  skip_credentials_validation = true
}}
{function}"#
    );
    let mut ws = Workspace::new(version, &main_tf);
    ws.write(
        "cli.tfrc",
        &format!("disable_checkpoint = true\nprovider_installation {{\n  {method}\n}}\n"),
    );
    let cli = ws.path().join("cli.tfrc").display().to_string();
    ws.env.push(("TF_GATEWAY_CLI_CONFIG".into(), cli));
    ws.env
        .push(("SSL_CERT_FILE".into(), ca_pem.display().to_string()));
    let init = ws.run(&["init", "-input=false", "-no-color"]);
    let lock = std::fs::read_to_string(ws.path().join(".terraform.lock.hcl")).unwrap_or_default();
    if init.success() {
        let installed = ws.path().join(format!(
            ".terraform/providers/{}/{VERSION}/{PLATFORM}/{PROJECT}_v{VERSION}",
            qualified(source)
        ));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&installed)
                .unwrap_or_else(|e| panic!("{version}: {}: {e}", installed.display()))
                .permissions(),
        );
        assert_eq!(
            mode & 0o755,
            0o755,
            "{version}: {} mode {mode:o}",
            installed.display()
        );

        let providers = ws.run(&["providers", "-no-color"]);
        check(version, "providers", &providers);
        assert!(
            providers
                .stdout
                .contains(&format!("provider[{}]", qualified(source))),
            "{version} providers:\n{}",
            providers.stdout
        );
        check(version, "validate", &ws.run(&["validate", "-no-color"]));
    }
    Install {
        code: init.code,
        stdout: init.stdout,
        stderr: init.stderr,
        lock,
    }
}

fn check(version: &str, what: &str, out: &Output) {
    assert!(out.success(), "{version} {what}:\n{out:?}");
}

/// `example/gateway` -> `registry.terraform.io/example/gateway`.
fn qualified(source: &str) -> String {
    if source.matches('/').count() == 1 {
        format!("registry.terraform.io/{source}")
    } else {
        source.to_string()
    }
}

/// Runs `scripts/release` signing with `gnupg`'s key and packaging the test's binary (or building
/// the release profile under `GATEWAY_TEST_RELEASE_BUILD=1`); returns its stderr.
fn release(gnupg: &GnupgHome, args: &[&std::ffi::OsStr]) -> String {
    let mut cmd = Command::new(repo_root().join("scripts/release"));
    cmd.args(args)
        .env("GNUPGHOME", gnupg.dir.path())
        .env_remove("GATEWAY_SIGNING_KEY")
        .env_remove("GATEWAY_SIGNING_KEY_ID")
        .env_remove("SOURCE_DATE_EPOCH");
    if std::env::var_os("GATEWAY_TEST_RELEASE_BUILD").as_deref() != Some("1".as_ref()) {
        cmd.arg("--binary").arg(common::provider_binary());
    }
    let out = cmd.output().expect("running scripts/release");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "scripts/release failed:\n{stderr}");
    stderr
}

/// A valid zip with the release's name holding a different binary.
fn tampered_zip(root: &Path) -> PathBuf {
    let binary = root.join("tampered-binary");
    let mut bytes = std::fs::read(common::provider_binary()).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&binary, bytes).unwrap();
    let out = root.join("tampered-dist");
    let status = Command::new("python3")
        .arg(repo_root().join("scripts/release.py"))
        .args([
            "pack",
            "--version",
            VERSION,
            "--platform",
            PLATFORM,
            "--binary",
        ])
        .arg(&binary)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    out.join(format!("{PROJECT}_{VERSION}_{PLATFORM}.zip"))
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A throwaway GnuPG home with one RSA signing key (Terraform 1.0.x verifies only RSA); its agent
/// is stopped on drop.
struct GnupgHome {
    dir: tempfile::TempDir,
    key_id: String,
}

impl GnupgHome {
    fn with_new_key(user_id: &str) -> Self {
        Self::with_new_key_of(user_id, "rsa2048")
    }

    fn with_new_key_of(user_id: &str, algorithm: &str) -> Self {
        // gpg's agent socket must fit in a sockaddr_un: keep the path short.
        let dir = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let mut home = Self {
            dir,
            key_id: String::new(),
        };
        home.gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            user_id,
            algorithm,
            "sign",
            "1d",
        ]);
        let listing = home.gpg(&["--with-colons", "--list-secret-keys"]);
        let fingerprint = listing
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .expect("a fingerprint");
        home.key_id = fingerprint[fingerprint.len() - 16..].to_string();
        home
    }

    fn sign(&self, file: &Path, sig: &Path) {
        let (file, sig) = (file.to_str().unwrap(), sig.to_str().unwrap());
        self.gpg(&["--yes", "--detach-sign", "--output", sig, file]);
    }

    fn gpg(&self, args: &[&str]) -> String {
        let run = Command::new("gpg")
            .arg("--batch")
            .args(args)
            .env("GNUPGHOME", self.dir.path())
            .output();
        let out = succeeded(
            run,
            &format!("gpg {args:?} (Debian: apt-get install gnupg)"),
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "all"])
            .env("GNUPGHOME", self.dir.path())
            .status();
    }
}

/// A CA and a server certificate for `localhost` and 127.0.0.1 it issued.
struct TestCa {
    pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl TestCa {
    fn new() -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "gateway registry test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();

        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap();
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &ca).unwrap();

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        Self {
            pem: ca.pem(),
            server: Arc::new(server),
        }
    }
}

/// A static HTTPS file server on loopback for one directory, as a company would host a registry
/// or a mirror on any static web server. Stops when the runtime does.
struct Site {
    dir: PathBuf,
    /// `localhost:<port>`: the registry host in provider source addresses.
    host: String,
    /// `https://localhost:<port>`
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Site {
    fn bind(rt: &tokio::runtime::Runtime, ca: &TestCa, dir: PathBuf) -> Self {
        std::fs::create_dir_all(&dir).unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let host = format!("localhost:{}", listener.local_addr().unwrap().port());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let acceptor = tokio_rustls::TlsAcceptor::from(ca.server.clone());
        let (root, log) = (dir.clone(), requests.clone());
        rt.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, root, log) = (acceptor.clone(), root.clone(), log.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        let _ = serve_one(tls, &root, &log).await;
                    }
                });
            }
        });
        Self {
            dir,
            url: format!("https://{host}"),
            host,
            requests,
        }
    }
}

/// One request per connection (`Connection: close`): GET of a file under `root`.
async fn serve_one<S>(mut stream: S, root: &Path, log: &Mutex<Vec<String>>) -> io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    const MAX_HEAD: usize = 16 * 1024;
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > MAX_HEAD {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut parts = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    log.lock().unwrap().push(path.to_string());
    let file = (method == "GET"
        && path.starts_with('/')
        && !path.split('/').any(|s| s == ".." || s == "."))
    .then(|| root.join(&path[1..]))
    .filter(|f| f.is_file());
    let (status, body, content_type) = match file {
        Some(f) => {
            let json = f.extension().is_none_or(|e| e == "json");
            let kind = if json {
                "application/json"
            } else {
                "application/octet-stream"
            };
            ("200 OK", tokio::fs::read(f).await?, kind)
        }
        None => ("404 Not Found", b"not found\n".to_vec(), "text/plain"),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.shutdown().await
}
