# syntax=docker/dockerfile:1
# stripe-emulator: a static binary on an empty, non-root image.
#   docker build -t stripe-emulator .
#   docker run --rm -p 12111:12111 stripe-emulator

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/stripe-emulator ./cmd/stripe-emulator

FROM scratch
# CA certificates, for webhook endpoints served over https.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/stripe-emulator /stripe-emulator
# Inside the container the emulator listens on every interface.
ENV STRIPE_EMULATOR_ADDR=0.0.0.0:12111
EXPOSE 12111
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 CMD ["/stripe-emulator", "healthcheck"]
ENTRYPOINT ["/stripe-emulator"]
