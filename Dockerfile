# Production image: the whygo binary, its static files and seeds, on Debian.
# Use with docker-compose.yml (an external PostgreSQL via DATABASE_URL).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app whygo
WORKDIR /app
COPY --from=build /src/target/release/whygo /usr/local/bin/whygo
COPY static ./static
COPY seeds ./seeds
USER whygo
ENV WHYGO_ADDR=0.0.0.0:3000 RUST_LOG_FORMAT=json
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000"]
CMD ["whygo", "serve"]
