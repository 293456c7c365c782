//! Helpers shared by the integration tests: an in-process provider server with a tonic client,
//! the real plugin binary launched as Terraform launches it, and value encoding shortcuts.

#![allow(dead_code)]

pub mod emulator;
pub mod intercept;
pub mod terraform;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gateway::proto::tfplugin6 as pb;
use gateway::proto::tfplugin6::provider_client::ProviderClient;
use gateway::protocol::value::{msgpack, Type, Value};
use hyper_util::rt::TokioIo;
use tokio::net::{UnixListener, UnixStream};
use tonic::transport::{Channel, Endpoint, Uri};

/// A provider server on a unix socket in a temporary directory, plaintext, with a client.
pub struct InProcess {
    pub client: ProviderClient<Channel>,
    _dir: tempfile::TempDir,
}

/// Starts the provider service in this process and connects a client to it.
pub async fn in_process() -> InProcess {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provider.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let service = gateway::provider_service();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(
                pb::provider_server::ProviderServer::new(service)
                    .max_decoding_message_size(gateway::plugin::MAX_MESSAGE_SIZE),
            )
            .serve_with_incoming(tokio_stream::wrappers::UnixListenerStream::new(listener))
            .await
            .unwrap();
    });
    let channel = unix_channel(path).await.unwrap();
    InProcess {
        client: ProviderClient::new(channel),
        _dir: dir,
    }
}

/// The output of a command that must succeed; `what` names it when it did not.
pub fn succeeded(run: io::Result<std::process::Output>, what: &str) -> std::process::Output {
    let out = run.unwrap_or_else(|err| panic!("running {what}: {err}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A plaintext gRPC channel over a unix socket.
pub async fn unix_channel(path: PathBuf) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            async move { Ok::<_, io::Error>(TokioIo::new(UnixStream::connect(path).await?)) }
        }))
        .await
}

/// A gRPC channel over mutual TLS, as Terraform connects: the server certificate from the
/// handshake pinned, and `client` presented (or no certificate at all).
pub async fn tls_channel(
    path: &Path,
    server_cert_der: Vec<u8>,
    client: Option<&ClientIdentity>,
) -> Result<Channel, tonic::transport::Error> {
    let _ = rustls::crypto::CryptoProvider::install_default(
        rustls::crypto::aws_lc_rs::default_provider(),
    );
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServer {
        cert: server_cert_der,
        algorithms: provider.signature_verification_algorithms,
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client {
        Some(id) => builder
            .with_client_auth_cert(vec![id.cert_der.clone()], id.key_der.clone_key())
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let path = path.to_path_buf();
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            let connector = connector.clone();
            async move {
                let stream = UnixStream::connect(path).await?;
                let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                let tls = connector.connect(name, stream).await?;
                Ok::<_, io::Error>(TokioIo::new(tls))
            }
        }))
        .await
}

/// A client certificate like the one Terraform makes: ECDSA P-521, self-signed, CA:TRUE.
pub struct ClientIdentity {
    pub cert_pem: String,
    pub cert_der: rustls::pki_types::CertificateDer<'static>,
    pub key_der: rustls::pki_types::PrivateKeyDer<'static>,
}

impl ClientIdentity {
    pub fn generate() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).unwrap();
        Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key_der: rustls::pki_types::PrivateKeyDer::Pkcs8(
                rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()),
            ),
        }
    }
}

#[derive(Debug)]
struct PinnedServer {
    cert: Vec<u8>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl rustls::client::danger::ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_slice() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "unexpected server certificate".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Encodes a value as Terraform would send it.
pub fn dv(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(value, ty).unwrap(),
        json: Vec::new(),
    })
}

/// Decodes a value the provider sent.
pub fn undv(value: &Option<pb::DynamicValue>, ty: &Type) -> Value {
    msgpack::decode(&value.as_ref().unwrap().msgpack, ty).unwrap()
}

/// An object of `schema_type` with the given attributes set and every other one null.
pub fn object(schema_type: &Type, set: &[(&str, Value)]) -> Value {
    let Type::Object(object) = schema_type else {
        panic!("not an object type")
    };
    let mut fields: std::collections::BTreeMap<String, Value> = object
        .attributes
        .keys()
        .map(|k| (k.clone(), Value::Null))
        .collect();
    for (k, v) in set {
        assert!(fields.contains_key(*k), "no attribute {k}");
        fields.insert(k.to_string(), v.clone());
    }
    Value::Object(fields)
}

/// Path of the provider binary Cargo built for these tests.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-gateway"))
}

/// The summaries and attribute paths of diagnostics, for assertions.
pub fn summaries(diags: &[pb::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            let path = d
                .attribute
                .as_ref()
                .map(|p| gateway::protocol::diagnostics::path_from_proto(p).to_string())
                .unwrap_or_default();
            format!("{}@{}: {}", d.summary, path, d.detail)
        })
        .collect()
}

/// Whether process `pid` still runs (a zombie counts as gone: it has exited).
pub fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// The processes whose parent is `parent` and whose program is the provider binary.
pub fn provider_processes_of(parent: u32) -> Vec<u32> {
    let binary = provider_binary();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let ppid = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.split(' ').nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            ppid == Some(parent)
                && std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary)
        })
        .collect()
}
