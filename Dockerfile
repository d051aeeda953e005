# syntax=docker/dockerfile:1
# The ecstpl CLI as a minimal image: one statically linked binary on distroless/static, which
# brings CA certificates (ECS is called over HTTPS), a passwd entry for the non-root user, and
# no shell or libc.
#
#   docker build -t ecstpl .
#   docker run --rm -e AWS_REGION -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN \
#     ecstpl deploy --cluster prod --service web --image app=repo/web:abc123

FROM rust:1-bookworm AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
# The same static build as scripts/release: glibc's static runtime on the gnu target (its
# files and DNS lookups are built in, so nothing is loaded at run time); --target keeps the
# flag off build scripts and proc macros. The check fails the build if it is not static.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    case "${TARGETARCH:-amd64}" in \
      amd64) target=x86_64-unknown-linux-gnu ;; \
      arm64) target=aarch64-unknown-linux-gnu ;; \
      *) echo "unsupported architecture ${TARGETARCH}" >&2; exit 1 ;; \
    esac \
 && RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked --bin ecstpl --target "$target" \
 && cp "target/$target/release/ecstpl" /ecstpl \
 && ldd /ecstpl 2>&1 | grep -Eq "statically linked|not a dynamic executable" \
 && /ecstpl --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /ecstpl /ecstpl
# Numeric (distroless' nonroot user), so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/ecstpl"]
