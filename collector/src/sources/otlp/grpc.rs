//! OTLP/gRPC: the `TraceService/Export` method.

use super::{spans_to_events, OtlpIngest, QueueError};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::{Request, Response, Status};

struct Receiver {
    ingest: OtlpIngest,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let batch = spans_to_events(&self.ingest.config, request.get_ref());
        let partial_success = batch.partial_success();
        self.ingest.queue.count_rejected(batch.rejected);
        match self.ingest.queue.submit(batch.events).await {
            Ok(()) => Ok(Response::new(ExportTraceServiceResponse {
                partial_success,
            })),
            // UNAVAILABLE is what OTLP clients retry with backoff without further hints.
            Err(e @ (QueueError::Full(_) | QueueError::Store(_))) => {
                Err(Status::unavailable(e.to_string()))
            }
            Err(e @ QueueError::TooLarge { .. }) => Err(Status::resource_exhausted(e.to_string())),
        }
    }
}

/// The gRPC service, with the configured message size limit.
pub fn grpc_service(ingest: OtlpIngest) -> TraceServiceServer<impl TraceService> {
    let limit = ingest.config.max_body;
    TraceServiceServer::new(Receiver { ingest })
        .max_decoding_message_size(limit)
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
}

/// Decides from a request's `authorization` metadata (e.g. `Bearer TOKEN`) whether it may
/// send spans; `None` lets every request in.
pub type Authorize = Option<std::sync::Arc<dyn Fn(Option<&str>) -> bool + Send + Sync>>;

/// Serves OTLP/gRPC on `listener` until `shutdown` resolves; requests `authorize` refuses are
/// answered UNAUTHENTICATED before their message is read.
pub async fn serve_grpc(
    listener: tokio::net::TcpListener,
    ingest: OtlpIngest,
    authorize: Authorize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let gate = move |request: Request<()>| match &authorize {
        Some(allows) => {
            let value = request
                .metadata()
                .get("authorization")
                .and_then(|v| v.to_str().ok());
            if allows(value) {
                Ok(request)
            } else {
                Err(Status::unauthenticated(
                    "send authorization: Bearer TOKEN with a token whose role is ingest or admin",
                ))
            }
        }
        None => Ok(request),
    };
    tonic::transport::Server::builder()
        // A stalled or silent client never holds a request or a connection for long.
        .timeout(std::time::Duration::from_secs(60))
        .http2_keepalive_interval(Some(std::time::Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(std::time::Duration::from_secs(10)))
        .max_concurrent_streams(Some(256))
        .layer(tower::util::MapResponseLayer::new(
            undecodable_is_invalid_argument,
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            grpc_service(ingest),
            gate,
        ))
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            shutdown,
        )
        .await
}

/// tonic answers a request it cannot decode with INTERNAL (its reading of the gRPC status code
/// guide); OTLP asks for INVALID_ARGUMENT, which tells the client not to retry. Such answers come
/// before any handler runs, as trailers-only responses, so the status is in the headers.
fn undecodable_is_invalid_argument<B>(mut response: http::Response<B>) -> http::Response<B> {
    let headers = response.headers_mut();
    let internal = headers
        .get("grpc-status")
        .is_some_and(|s| s == (tonic::Code::Internal as i32).to_string().as_str());
    let undecodable = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .is_some_and(|m| m.starts_with("failed%20to%20decode%20Protobuf%20message"));
    if internal && undecodable {
        headers.insert(
            "grpc-status",
            http::HeaderValue::from(tonic::Code::InvalidArgument as i32),
        );
    }
    response
}
