//! The go-plugin handshake: what Terraform puts in the environment when it launches a provider,
//! and the one line the provider answers with on stdout.

use std::net::SocketAddr;
use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;

use super::PluginError;

/// The cookie Terraform sets so a provider can tell it was launched as a plugin.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own handshake version, the first field of the handshake line.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol this provider serves.
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// Printed when a person runs the binary by hand, as every go-plugin program does.
pub const NOT_A_PLUGIN_MESSAGE: &str =
    "This binary is a plugin. These are not meant to be executed directly.\n\
Please execute the program that consumes these plugins, which will\n\
load any plugins automatically";

/// Where the gRPC server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl ListenAddr {
    /// go-plugin's name of the network: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            ListenAddr::Unix(_) => "unix",
            ListenAddr::Tcp(_) => "tcp",
        }
    }

    /// The address in go-plugin's notation: a socket path, or `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        match self {
            ListenAddr::Unix(path) => path.display().to_string(),
            ListenAddr::Tcp(addr) => addr.to_string(),
        }
    }
}

/// Which transport to listen on, and within which bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// A unix socket in this directory (go-plugin's choice on every Unix).
    Unix { dir: PathBuf },
    /// A loopback TCP port between `min` and `max` inclusive (go-plugin's only choice on
    /// Windows).
    Tcp { min: u16, max: u16 },
}

/// go-plugin's port range when Terraform sets none.
const DEFAULT_MIN_PORT: u16 = 10000;
const DEFAULT_MAX_PORT: u16 = 25000;

impl Transport {
    /// Where a plugin listens when nothing asks otherwise: a unix socket in the temporary
    /// directory, or on Windows, where go-plugin's client expects TCP, a loopback port.
    pub fn platform_default() -> Self {
        if cfg!(windows) {
            Transport::Tcp {
                min: DEFAULT_MIN_PORT,
                max: DEFAULT_MAX_PORT,
            }
        } else {
            Transport::Unix {
                dir: std::env::temp_dir(),
            }
        }
    }
}

/// What Terraform told the plugin through the environment.
#[derive(Debug, Clone)]
pub struct HandshakeEnv {
    pub protocol_version: u32,
    pub transport: Transport,
    /// PEM of the certificate Terraform will present; `None` only in debug mode.
    pub client_cert_pem: Option<String>,
}

impl HandshakeEnv {
    /// Reads and checks the launch environment through `get` (the process environment in
    /// production, a table in tests).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, PluginError> {
        if get(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(PluginError::NotAPlugin);
        }
        let protocol_version = negotiate_version(get("PLUGIN_PROTOCOL_VERSIONS").as_deref())?;
        let transport = transport_from_env(&get)?;
        let client_cert_pem = get("PLUGIN_CLIENT_CERT").filter(|pem| !pem.trim().is_empty());
        if client_cert_pem.is_none() {
            return Err(PluginError::Handshake(
                "PLUGIN_CLIENT_CERT is not set: this provider only accepts connections over mutual TLS \
                 (Terraform sets it on every launch; use --debug to run the provider by hand)"
                    .into(),
            ));
        }
        Ok(Self {
            protocol_version,
            transport,
            client_cert_pem,
        })
    }
}

/// Picks protocol 6 from the comma separated versions Terraform offers.
pub fn negotiate_version(offered: Option<&str>) -> Result<u32, PluginError> {
    let offered = offered.unwrap_or("").trim();
    // An empty list means an old client that assumes the plugin's default version.
    if offered.is_empty() {
        return Ok(APP_PROTOCOL_VERSION);
    }
    let wanted = APP_PROTOCOL_VERSION.to_string();
    if offered.split(',').any(|v| v.trim() == wanted) {
        Ok(APP_PROTOCOL_VERSION)
    } else {
        Err(PluginError::Handshake(format!(
            "this provider speaks Terraform plugin protocol {APP_PROTOCOL_VERSION} only, but the \
             client offered protocol version(s) {offered}; use Terraform 1.0 or later"
        )))
    }
}

fn transport_from_env(get: &impl Fn(&str) -> Option<String>) -> Result<Transport, PluginError> {
    let wants_tcp =
        cfg!(windows) || matches!(get("GATEWAY_PLUGIN_TRANSPORT").as_deref(), Some("tcp"));
    if !wants_tcp {
        let dir = get("PLUGIN_UNIX_SOCKET_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        return Ok(Transport::Unix { dir });
    }
    let port = |key: &str, default: u16| -> Result<u16, PluginError> {
        match get(key).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| PluginError::Handshake(format!("{key}={v:?} is not a port number"))),
        }
    };
    let min = port("PLUGIN_MIN_PORT", DEFAULT_MIN_PORT)?;
    let max = port("PLUGIN_MAX_PORT", DEFAULT_MAX_PORT)?;
    if min > max {
        return Err(PluginError::Handshake(format!(
            "PLUGIN_MIN_PORT ({min}) is greater than PLUGIN_MAX_PORT ({max})"
        )));
    }
    Ok(Transport::Tcp { min, max })
}

/// The handshake line: `CORE|APP|network|address|grpc|base64(cert DER)`, the certificate part
/// left empty when serving without TLS.
pub fn handshake_line(version: u32, addr: &ListenAddr, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{version}|{}|{}|grpc|{cert}",
        addr.network(),
        addr.address()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::env;

    const CERT: (&str, &str) = ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----\n...");
    const COOKIE: (&str, &str) = (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE);

    #[test]
    fn refuses_without_the_magic_cookie() {
        let err = HandshakeEnv::from_env(env(&[CERT])).unwrap_err();
        assert!(matches!(err, PluginError::NotAPlugin));
        let err = HandshakeEnv::from_env(env(&[(MAGIC_COOKIE_KEY, "wrong"), CERT])).unwrap_err();
        assert!(matches!(err, PluginError::NotAPlugin));
    }

    #[test]
    fn negotiates_protocol_six() {
        for offered in ["6", "5,6", " 5 , 6 ", "6,7"] {
            assert_eq!(negotiate_version(Some(offered)).unwrap(), 6, "{offered}");
        }
        assert_eq!(negotiate_version(None).unwrap(), 6);
        for offered in ["5", "4,5", "7"] {
            let err = negotiate_version(Some(offered)).unwrap_err().to_string();
            assert!(err.contains("protocol 6 only"), "{err}");
            assert!(err.contains(offered), "{err}");
        }
    }

    #[test]
    fn requires_a_client_certificate() {
        let err = HandshakeEnv::from_env(env(&[COOKIE]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("PLUGIN_CLIENT_CERT"), "{err}");
    }

    #[test]
    #[cfg(unix)]
    fn defaults_to_a_unix_socket() {
        let hs = HandshakeEnv::from_env(env(&[COOKIE, CERT, ("PLUGIN_UNIX_SOCKET_DIR", "/run/x")]))
            .unwrap();
        assert_eq!(
            hs.transport,
            Transport::Unix {
                dir: PathBuf::from("/run/x")
            }
        );
    }

    #[test]
    fn tcp_honours_the_port_range() {
        let hs = HandshakeEnv::from_env(env(&[
            COOKIE,
            CERT,
            ("GATEWAY_PLUGIN_TRANSPORT", "tcp"),
            ("PLUGIN_MIN_PORT", "40000"),
            ("PLUGIN_MAX_PORT", "40010"),
        ]))
        .unwrap();
        assert_eq!(
            hs.transport,
            Transport::Tcp {
                min: 40000,
                max: 40010
            }
        );
        let err = HandshakeEnv::from_env(env(&[
            COOKIE,
            CERT,
            ("GATEWAY_PLUGIN_TRANSPORT", "tcp"),
            ("PLUGIN_MIN_PORT", "5000"),
            ("PLUGIN_MAX_PORT", "4000"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("greater"), "{err}");
    }

    #[test]
    fn formats_the_handshake_line() {
        let line = handshake_line(
            6,
            &ListenAddr::Unix(PathBuf::from("/tmp/plugin1")),
            Some(&[0xde, 0xad, 0xbe, 0xef]),
        );
        assert_eq!(line, "1|6|unix|/tmp/plugin1|grpc|3q2+7w");
        let line = handshake_line(6, &ListenAddr::Tcp("127.0.0.1:1234".parse().unwrap()), None);
        assert_eq!(line, "1|6|tcp|127.0.0.1:1234|grpc|");
    }
}
