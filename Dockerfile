# funnelstream — one image holding every program (funnel-collector,
# funnel-worker, funnel-query, funnel-ingest, funnel-gen); the container's
# command picks one, e.g. `podman run IMAGE funnel-worker`.
#
# One image rather than one per program: the programs link the same shared
# libraries (librdkafka, avro-c, hiredis, libmicrohttpd, jansson), which are
# most of the bytes; their own binaries add a few MB.  One image is pulled
# once per node, tagged and scanned once, and a version is one thing.
#
#   podman build -t funnelstream .                       (or docker build)
#   podman build --build-arg FUNNEL_BASE_IMAGE=localhost/bookworm-base .
#
# deploy/images/build builds it (and the base image where no registry is
# reachable, deploy/images/base).
ARG FUNNEL_BASE_IMAGE=debian:bookworm-slim

# ---- build: compilers and -dev packages, a release build of the programs
FROM ${FUNNEL_BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      librdkafka-dev libavro-dev libhiredis-dev libmicrohttpd-dev libjansson-dev \
      libyajl-dev libcurl4-openssl-dev libjemalloc-dev libmimalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the build reads, so that changes elsewhere (deploy/, docs/)
# keep this stage cached.
COPY CMakeLists.txt CMakePresets.json README.md LICENSE CONTRIBUTING.md ./
COPY cmake/ cmake/
COPY schemas/ schemas/
COPY common/ common/
COPY producers/ producers/
COPY consumers/ consumers/
COPY query/ query/
COPY tests/ tests/
COPY bench/ bench/
COPY docs/ docs/
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFS_WERROR=OFF >/dev/null \
 && cmake --build /build -j"$(nproc)" --target \
      funnel-collector funnel-worker funnel-query funnel-ingest funnel-gen \
 && mkdir -p /out/bin \
 && for p in collector worker query ingest gen; do \
      install -s "$(find /build -type f -name "funnel-$p" -perm -u+x | head -n1)" /out/bin/; \
    done \
# The runtime packages are the ones owning the shared libraries the
# programs load (no compiler, no headers, no -dev package).
 && for lib in $(ldd /out/bin/* | awk '/=> \//{print $3}' | sort -u); do \
      for f in "$lib" "/usr$lib" "$(readlink -f "$lib")"; do \
        dpkg -S "$f" 2>/dev/null && break; \
      done; \
    done | cut -d: -f1 | sort -u | grep -v -x -e libc6 > /out/runtime-packages \
 && test -s /out/runtime-packages && cat /out/runtime-packages

# ---- runtime: shared libraries only, non-root
FROM ${FUNNEL_BASE_IMAGE}
COPY --from=build /out/runtime-packages /usr/share/funnelstream/runtime-packages
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(cat /usr/share/funnelstream/runtime-packages) ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin funnel
COPY --from=build /out/bin/ /usr/local/bin/
# Every program must load its libraries here, not only in the build stage.
RUN for p in /usr/local/bin/funnel-*; do "$p" --version >/dev/null || exit 1; done
COPY schemas/ /usr/share/funnelstream/schemas/
COPY deploy/images/funnel-probe /usr/local/bin/funnel-probe
USER 10001:10001
# collector 8080, dashboard 8090, worker endpoint 9100
EXPOSE 8080 8090 9100
LABEL org.opencontainers.image.title="funnelstream" \
      org.opencontainers.image.description="Real-time marketing & sales journey analytics: collector, worker, query" \
      org.opencontainers.image.source="https://github.com/funnelstream/funnelstream"
CMD ["funnel-collector", "--help"]
