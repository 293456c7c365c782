//! go-plugin's stdio service. Terraform opens this stream to receive whatever a plugin writes to
//! its stdout and stderr; this provider never writes to stdout after the handshake and sends its
//! logs to stderr directly, so the stream carries nothing and ends when the plugin shuts down.

use futures::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use crate::proto::plugin::grpc_stdio_server::GrpcStdio;
use crate::proto::plugin::StdioData;

pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<BoxStream<StdioData>>, Status> {
        let shutdown = self.shutdown.clone();
        // Nothing is ever sent; the stream stays open until the server stops so the client does
        // not mistake its end for a failure.
        let stream = futures::stream::once(async move {
            shutdown.cancelled_owned().await;
        })
        .filter_map(|()| async { None });
        Ok(Response::new(Box::pin(stream)))
    }
}
