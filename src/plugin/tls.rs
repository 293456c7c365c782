//! AutoMTLS as go-plugin does it: the plugin makes a fresh self-signed certificate at start and
//! prints it in the handshake line; Terraform pins it as its only root. Terraform in turn
//! presents the certificate it put in `PLUGIN_CLIENT_CERT`, and no other client is let in.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName as TlsName, ServerConfig, SignatureScheme};

use super::PluginError;

/// How long the server certificate is valid. The process lives for one Terraform command, but
/// Terraform's and the plugin's clocks may differ slightly, so the window opens in the past.
const CERT_BACKDATE: time::Duration = time::Duration::minutes(5);
const CERT_LIFETIME: time::Duration = time::Duration::days(1);

/// The plugin's server identity for one run.
pub struct ServerIdentity {
    /// The certificate, DER encoded: printed in the handshake line.
    pub cert_der: CertificateDer<'static>,
    key_der: PrivateKeyDer<'static>,
}

impl ServerIdentity {
    /// Makes a new ECDSA P-256 key and a self-signed certificate for `localhost`, marked as a CA
    /// because Terraform uses it as the root of trust for the connection.
    pub fn generate() -> Result<Self, PluginError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(tls_err)?;
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).map_err(tls_err)?;
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, crate::PROVIDER_BINARY);
        name.push(DnType::CommonName, "localhost");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - CERT_BACKDATE;
        params.not_after = now + CERT_LIFETIME;
        let cert = params.self_signed(&key).map_err(tls_err)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key_der: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }

    /// A rustls server configuration that speaks HTTP/2 only and admits exactly `client_certs`.
    pub fn server_config(
        &self,
        client_certs: Vec<CertificateDer<'static>>,
    ) -> Result<Arc<ServerConfig>, PluginError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = PinnedClientCert {
            allowed: client_certs,
            algorithms: provider.signature_verification_algorithms,
        };
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(tls_err)?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(vec![self.cert_der.clone()], self.key_der.clone_key())
            .map_err(tls_err)?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Parses the PEM certificate(s) Terraform passes in `PLUGIN_CLIENT_CERT`.
pub fn parse_client_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, PluginError> {
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| PluginError::Handshake(format!("PLUGIN_CLIENT_CERT is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(PluginError::Handshake(
            "PLUGIN_CLIENT_CERT holds no certificate".into(),
        ));
    }
    Ok(certs)
}

/// Admits a client only if it presents one of the pinned certificates, byte for byte, and proves
/// it holds that certificate's key. Terraform's certificate is a self-signed CA used as a leaf,
/// which a chain-building verifier rightly refuses; pinning is what go-plugin means here.
#[derive(Debug)]
struct PinnedClientCert {
    allowed: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[TlsName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self
            .allowed
            .iter()
            .any(|cert| cert.as_ref() == end_entity.as_ref())
        {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "client certificate is not the one in PLUGIN_CLIENT_CERT".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Installs aws-lc-rs as the process-wide rustls provider (a no-op when one is installed already).
pub fn install_crypto_provider() {
    let _ = CryptoProvider::install_default(rustls::crypto::aws_lc_rs::default_provider());
}

fn tls_err(err: impl std::fmt::Display) -> PluginError {
    PluginError::Tls(err.to_string())
}
