# tsunagu: a static binary on a distroless, non-root base.
#
#   docker build -t tsunagu --build-arg TSUNAGU_COMMIT=$(git rev-parse HEAD) .
#   docker run --env-file tsunagu.env -v "$PWD/flows:/flows:ro" -p 127.0.0.1:8080:8080 tsunagu
#
# Flows are read from /flows (TSUNAGU_FLOWS_DIR); the image carries the
# examples there, so mount your own over it. A tsunagu.yaml mounted at
# /etc/tsunagu/tsunagu.yaml is read too (the working directory); TSUNAGU_*
# environment variables win over it. See README.md, "Running in production".
# CI checks this file with .ci/dockerfile-check (COPY sources, build flags).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TSUNAGU_COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w -X main.buildCommit=${TSUNAGU_COMMIT}" -o /out/tsunagu ./cmd/tsunagu

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tsunagu /usr/local/bin/tsunagu
COPY examples/flows /flows
WORKDIR /etc/tsunagu
ENV TSUNAGU_LISTEN=:8080 \
    TSUNAGU_FLOWS_DIR=/flows
USER nonroot:nonroot
EXPOSE 8080
# No shell or curl in the image: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/tsunagu", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tsunagu"]
CMD ["serve"]
