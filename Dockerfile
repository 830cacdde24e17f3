# Dynostack in a container: the release binary on a small Debian base, run as a non-root user,
# data in the /data volume.
#
#   docker build -t dynostack .
#   docker run -p 8000:8000 -v dynostack-data:/data dynostack
#
# Open mode listens on every address of the container (--allow-open-remote); it still answers
# only Host names it knows: localhost (a published port) and those in DYNOSTACK_ALLOW_HOSTS
# (e.g. the service name other containers use). Give DYNOSTACK_CREDENTIALS for enforced mode.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --locked --release -p dynostack --bin dynostack

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home dynostack \
    && mkdir -p /data && chown dynostack:dynostack /data
COPY --from=build /src/target/release/dynostack /usr/local/bin/dynostack
USER dynostack
ENV DYNOSTACK_LISTEN=0.0.0.0:8000 DYNOSTACK_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && grep -q healthy <&3"]
ENTRYPOINT ["dynostack"]
CMD ["serve", "--allow-open-remote"]
