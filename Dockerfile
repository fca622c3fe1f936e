# syntax=docker/dockerfile:1
# stripe-emulator: a static binary on an empty, non-root image.
#   docker build -t stripe-emulator .
#   docker run --rm -p 127.0.0.1:12111:12111 stripe-emulator
# Publish on 127.0.0.1 only: any sk_test_ key works, and a webhook endpoint
# registered through the emulator makes it send requests where it is told.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/stripe-emulator ./cmd/stripe-emulator
# The state file's directory: scratch has no shell to make it, so it is made
# here and copied with its owner, the user the emulator runs as.
RUN mkdir -p /out/data

FROM scratch
# CA certificates, for webhook endpoints served over https.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/stripe-emulator /stripe-emulator
# A writable directory for -state-file (mount a volume on it:
# -v stripe-emulator-state:/data -e STRIPE_EMULATOR_STATE_FILE=/data/state.jsonl).
COPY --from=build --chown=65532:65532 /out/data /data
# The repository's fixtures, for -fixtures /fixtures/alpaca-ai.json (a mounted
# directory replaces them).
COPY fixtures/ /fixtures/
# Inside the container the emulator listens on every interface (and warns
# that it does): publish the port on the host's 127.0.0.1 only.
ENV STRIPE_EMULATOR_ADDR=0.0.0.0:12111
EXPOSE 12111
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 CMD ["/stripe-emulator", "healthcheck"]
ENTRYPOINT ["/stripe-emulator"]
