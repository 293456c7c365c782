//! The process side of a Terraform plugin: go-plugin's handshake, the mutually authenticated
//! gRPC transport, the helper services Terraform expects next to the provider, and logging.

pub mod controller;
pub mod handshake;
pub mod log;
pub mod parent;
pub mod stdio;
pub mod tls;

use std::io::Write as _;
#[cfg(unix)]
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tonic::transport::Server;

use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use crate::proto::tfplugin6::provider_server::{Provider, ProviderServer};
use handshake::{HandshakeEnv, ListenAddr, Transport};

/// terraform-plugin-go raises gRPC's message limit to this, since plans and states of large
/// configurations can be big.
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// How long a graceful stop may wait for in-flight calls before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long a client has to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections waiting between TLS acceptance and the gRPC server.
const ACCEPT_QUEUE: usize = 16;

/// The registry address Terraform knows this provider by, used in debug mode's reattach line.
pub use crate::PROVIDER_ADDRESS;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("not launched by Terraform")]
    NotAPlugin,
    #[error("plugin handshake: {0}")]
    Handshake(String),
    #[error("plugin TLS: {0}")]
    Tls(String),
    #[error("plugin listener: {0}")]
    Io(#[from] std::io::Error),
    #[error("plugin server: {0}")]
    Server(#[from] tonic::transport::Error),
}

/// Runs the plugin process to completion: the entry point of the provider binary.
pub fn main_with<P, F>(make_provider: F) -> ExitCode
where
    P: Provider,
    F: FnOnce(CancellationToken) -> P,
{
    log::init(log::level_from_env(|k| std::env::var(k).ok()));
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("{}: starting the runtime: {err}", crate::PROVIDER_BINARY);
            return ExitCode::FAILURE;
        }
    };
    let shutdown = CancellationToken::new();
    let provider = make_provider(shutdown.clone());
    let result = runtime.block_on(async move {
        if debug {
            serve_debug(provider, shutdown).await
        } else {
            let env = HandshakeEnv::from_env(|k| std::env::var(k).ok())?;
            serve(provider, env, shutdown).await
        }
    });
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(PluginError::NotAPlugin) => {
            eprintln!("{}", handshake::NOT_A_PLUGIN_MESSAGE);
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("{}: {err}", crate::PROVIDER_BINARY);
            ExitCode::FAILURE
        }
    }
}

/// Serves the provider over mutual TLS, announcing itself with the handshake line.
pub async fn serve<P: Provider>(
    provider: P,
    env: HandshakeEnv,
    shutdown: CancellationToken,
) -> Result<(), PluginError> {
    let launcher = parent::launcher();
    tls::install_crypto_provider();
    let identity = tls::ServerIdentity::generate()?;
    let client_certs = tls::parse_client_certs(env.client_cert_pem.as_deref().unwrap_or(""))?;
    let acceptor = TlsAcceptor::from(identity.server_config(client_certs)?);
    let listener = Listener::bind(&env.transport).await?;
    announce(&handshake::handshake_line(
        env.protocol_version,
        &listener.addr,
        Some(identity.cert_der.as_ref()),
    ))?;
    // Terraform forwards Ctrl-C to the whole process group but then stops the provider through
    // the protocol; like go-plugin, the plugin ignores the interrupt and waits for that.
    tokio::spawn(ignore_interrupts());
    let (tx, rx) = tokio::sync::mpsc::channel(ACCEPT_QUEUE);
    let cleanup = listener.cleanup_path();
    tokio::spawn(accept_tls(listener, acceptor, tx, shutdown.clone()));
    let served = run_server(provider, ReceiverStream::new(rx), shutdown.clone());
    // Nobody waits for the answers of a Terraform that is gone: the plugin exits at once, and
    // the next apply finishes what was under way.
    let result = tokio::select! {
        result = served => result,
        _ = parent::gone(launcher) => {
            tracing::warn!("Terraform is gone without stopping the provider; exiting");
            shutdown.cancel();
            Ok(())
        }
    };
    if let Some(path) = cleanup {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Debug mode: plaintext on a unix socket (a loopback port on Windows), printing the
/// `TF_REATTACH_PROVIDERS` value so a person can run Terraform against this process (under a
/// debugger, say). Stops on Ctrl-C.
pub async fn serve_debug<P: Provider>(
    provider: P,
    shutdown: CancellationToken,
) -> Result<(), PluginError> {
    let listener = Listener::bind(&Transport::platform_default()).await?;
    let addr = listener.addr.clone();
    let cleanup = listener.cleanup_path();
    let reattach = serde_json::json!({
        PROVIDER_ADDRESS: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": addr.network(), "String": addr.address()},
        }
    });
    announce(&format!(
        "Provider started. To attach Terraform, set TF_REATTACH_PROVIDERS in its environment:\n\n\
         \tTF_REATTACH_PROVIDERS='{reattach}'\n"
    ))?;
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    let (tx, rx) = tokio::sync::mpsc::channel(ACCEPT_QUEUE);
    let accept_shutdown = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = accept_shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(stream) => if tx.send(Ok(stream)).await.is_err() { break },
                    Err(err) => tracing::warn!(error = %err, "accepting a debug connection"),
                },
            }
        }
    });
    let result = run_server(provider, ReceiverStream::new(rx), shutdown).await;
    if let Some(path) = cleanup {
        let _ = std::fs::remove_file(path);
    }
    result
}

async fn run_server<P, IO>(
    provider: P,
    incoming: ReceiverStream<Result<IO, std::io::Error>>,
    shutdown: CancellationToken,
) -> Result<(), PluginError>
where
    P: Provider,
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Connected + Unpin + Send + 'static,
{
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let provider_service = ProviderServer::new(provider)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let stopped = shutdown.clone();
    let server = Server::builder()
        .add_service(provider_service)
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(controller::Controller::new(
            shutdown.clone(),
        )))
        .add_service(GrpcStdioServer::new(stdio::Stdio::new(shutdown.clone())))
        .serve_with_incoming_shutdown(incoming, async move { stopped.cancelled().await });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        // After the stop is requested, in-flight calls get a grace period and no more.
        _ = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
            tracing::warn!("in-flight calls did not finish within the shutdown grace period");
        }
    }
    Ok(())
}

fn announce(line: &str) -> Result<(), PluginError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

async fn ignore_interrupts() {
    loop {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        tracing::debug!("interrupt received; waiting for Terraform to stop the provider");
    }
}

/// Accepts connections and completes their TLS handshakes concurrently, handing only the
/// authenticated ones to the gRPC server.
async fn accept_tls(
    listener: Listener,
    acceptor: TlsAcceptor,
    tx: tokio::sync::mpsc::Sender<Result<TlsStream<PluginStream>, std::io::Error>>,
    shutdown: CancellationToken,
) {
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(stream) => stream,
                Err(err) => {
                    tracing::warn!(error = %err, "accepting a plugin connection");
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send(Ok(tls)).await;
                }
                Ok(Err(err)) => tracing::warn!(error = %err, "refused a plugin connection"),
                Err(_) => tracing::warn!("a plugin connection did not finish its TLS handshake"),
            }
        });
    }
}

struct Listener {
    addr: ListenAddr,
    inner: Inner,
}

enum Inner {
    #[cfg(unix)]
    Unix(UnixListener),
    Tcp(TcpListener),
}

impl Listener {
    async fn bind(transport: &Transport) -> Result<Self, PluginError> {
        match transport {
            #[cfg(unix)]
            Transport::Unix { dir } => {
                let path = unique_socket_path(dir);
                let listener = UnixListener::bind(&path)?;
                restrict_to_owner(&path)?;
                Ok(Self {
                    addr: ListenAddr::Unix(path),
                    inner: Inner::Unix(listener),
                })
            }
            #[cfg(not(unix))]
            Transport::Unix { .. } => Err(PluginError::Handshake(
                "unix sockets are not available on this platform".into(),
            )),
            Transport::Tcp { min, max } => {
                let mut last_err = None;
                for port in *min..=*max {
                    match TcpListener::bind(("127.0.0.1", port)).await {
                        Ok(listener) => {
                            let addr = listener.local_addr()?;
                            return Ok(Self {
                                addr: ListenAddr::Tcp(addr),
                                inner: Inner::Tcp(listener),
                            });
                        }
                        Err(err) => last_err = Some(err),
                    }
                }
                Err(PluginError::Handshake(format!(
                    "no free port between PLUGIN_MIN_PORT {min} and PLUGIN_MAX_PORT {max}: {}",
                    last_err.map(|e| e.to_string()).unwrap_or_default()
                )))
            }
        }
    }

    async fn accept(&self) -> std::io::Result<PluginStream> {
        match &self.inner {
            #[cfg(unix)]
            Inner::Unix(l) => l.accept().await.map(|(s, _)| PluginStream::Unix(s)),
            Inner::Tcp(l) => l.accept().await.map(|(s, _)| PluginStream::Tcp(s)),
        }
    }

    fn cleanup_path(&self) -> Option<PathBuf> {
        match &self.addr {
            ListenAddr::Unix(path) => Some(path.clone()),
            ListenAddr::Tcp(_) => None,
        }
    }
}

#[cfg(unix)]
fn unique_socket_path(dir: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    dir.join(format!("plugin-gateway-{}-{nanos}", std::process::id()))
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// A connection over either transport.
pub enum PluginStream {
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

impl Connected for PluginStream {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for PluginStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            PluginStream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            PluginStream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for PluginStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            PluginStream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            PluginStream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            PluginStream::Unix(s) => Pin::new(s).poll_flush(cx),
            PluginStream::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            PluginStream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            PluginStream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
