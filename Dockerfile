# Flowsight in a container: built in the Rust image, shipped alone (stripped, symbols left in
# the build stage) in a slim Debian image, run by a user without privileges.
#   docker build -t flowsight .
#   docker run -p 8080:8080 -e FLOWSIGHT_TOKEN=... flowsight
# deploy/compose.yaml runs it with a Kafka broker and ClickHouse.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# librdkafka and SQLite are compiled from source by their crates (C toolchain, cmake, perl).
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake \
    && rm -rf /var/lib/apt/lists/* \
    && cargo build --profile dist --locked -p flowsight \
    && objcopy --only-keep-debug target/dist/flowsight /flowsight.debug \
    && objcopy --strip-debug --add-gnu-debuglink=/flowsight.debug target/dist/flowsight /flowsight

FROM debian:bookworm-slim
# CA certificates: webhooks and ClickHouse over HTTPS check their peers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /var/lib/flowsight flowsight
COPY --from=build /flowsight /usr/local/bin/flowsight
USER 10001
WORKDIR /var/lib/flowsight
VOLUME ["/var/lib/flowsight"]
# The UI and ingest API, OTLP/HTTP, OTLP/gRPC. Listening beyond loopback needs credentials:
# give an admin token in FLOWSIGHT_TOKEN (or FLOWSIGHT_AUTH, a credentials file).
ENV FLOWSIGHT_STORE=/var/lib/flowsight/store \
    FLOWSIGHT_LISTEN=0.0.0.0:8080 \
    FLOWSIGHT_OTLP_HTTP=0.0.0.0:4318 \
    FLOWSIGHT_OTLP_GRPC=0.0.0.0:4317
EXPOSE 8080 4318 4317
ENTRYPOINT ["flowsight"]
CMD ["serve"]
