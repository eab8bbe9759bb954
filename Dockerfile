# studygraph: multi-stage build; the runtime image holds the binary and nothing else it does not need.
FROM rust:1.95-bookworm AS build
# npm lets build.rs embed the full GraphiQL playground (without it, the built-in page is used).
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/studygraph

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home studygraph
COPY --from=build /src/target/release/studygraph /usr/local/bin/studygraph
USER studygraph
WORKDIR /data
ENV STUDYGRAPH_LISTEN=0.0.0.0:8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8000/readyz || exit 1
ENTRYPOINT ["studygraph"]
CMD ["serve"]
