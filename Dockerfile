# syntax=docker/dockerfile:1
#
# syndicate as a container: `syndicate serve` with the Markdown folder at
# /content and config.yaml at /config/config.yaml (see deploy/config.docker.yaml);
# the publication state (ids, feeds, times) in the volume /state.
#
# The build command below is run as-is (only the -o folder differs) by
# scripts/check-dockerfile, since CI has no Docker engine to build the image.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/syndicate ./cmd/syndicate
# The publication state's folder, owned by nonroot so that a volume
# mounted there starts writable.
RUN mkdir -p /out/state

# Static binary on distroless: no shell, no package manager, runs as
# nonroot (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/syndicate /syndicate
COPY --from=build --chown=65532:65532 /out/state /state
USER nonroot:nonroot
VOLUME ["/content", "/config", "/state"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/syndicate", "healthcheck", "--config", "/config/config.yaml"]
ENTRYPOINT ["/syndicate", "serve", "--config", "/config/config.yaml"]
