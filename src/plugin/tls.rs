//! AutoMTLS as go-plugin does it: Terraform hands the plugin its client certificate in
//! `PLUGIN_CLIENT_CERT`; the plugin generates a server certificate, advertises it in the
//! handshake line and accepts only TLS connections that present exactly Terraform's certificate.
//!
//! Terraform's certificate is a self-signed ECDSA P-521 CA certificate. WebPKI verification
//! rejects a CA used as an end entity, so authentication here is by pinning the exact
//! certificate bytes, with handshake signatures checked by rustls' own helpers on the aws-lc-rs
//! provider (the only rustls backend that verifies P-521).

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate: {0}")]
    ClientCertificate(String),
    #[error("could not generate the server certificate: {0}")]
    ServerCertificate(#[from] rcgen::Error),
    #[error("could not build the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The server side of AutoMTLS: a rustls configuration and the certificate to advertise.
pub struct AutoMtls {
    pub server_config: Arc<rustls::ServerConfig>,
    /// DER bytes of the generated server certificate (base64 in the handshake line).
    pub server_certificate: Vec<u8>,
}

impl AutoMtls {
    /// Builds the TLS server configuration for the client certificate Terraform sent (PEM).
    pub fn new(client_certificate_pem: &str) -> Result<Self, TlsError> {
        let client_certificate = CertificateDer::from_pem_slice(client_certificate_pem.as_bytes())
            .map_err(|err| TlsError::ClientCertificate(err.to_string()))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let (server_certificate, server_key) = generate_server_certificate()?;
        let verifier = PinnedClientCertificate {
            pinned: client_certificate.into_owned(),
            algorithms: provider.signature_verification_algorithms,
        };
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(vec![server_certificate.clone()], server_key)?;
        // gRPC-Go refuses a TLS connection that did not negotiate HTTP/2 through ALPN.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            server_config: Arc::new(config),
            server_certificate: server_certificate.to_vec(),
        })
    }
}

/// A self-signed certificate for `localhost`: Terraform trusts exactly the certificate it is
/// shown in the handshake line and checks the name `localhost`.
fn generate_server_certificate()
-> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "ecstpl");
    // A little in the past, so a client clock slightly behind ours still accepts it.
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(1);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let certificate = params.self_signed(&key)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((certificate.der().clone(), key_der))
}

/// Accepts exactly one client certificate: the one Terraform announced.
#[derive(Debug)]
struct PinnedClientCertificate {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCertificate {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    // No hints: a client with an empty hint list sends its certificate unconditionally.
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The crypto provider every TLS configuration of the plugin uses.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_pem() -> String {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn pinned_verifier_accepts_only_the_announced_certificate() {
        let pem = client_pem();
        let pinned = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        let other_pem = client_pem();
        let other = CertificateDer::from_pem_slice(other_pem.as_bytes()).unwrap();
        let verifier = PinnedClientCertificate {
            pinned: pinned.clone(),
            algorithms: crypto_provider().signature_verification_algorithms,
        };
        assert!(
            verifier
                .verify_client_cert(&pinned, &[], UnixTime::now())
                .is_ok()
        );
        assert!(
            verifier
                .verify_client_cert(&other, &[], UnixTime::now())
                .is_err()
        );
        assert!(
            verifier
                .supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
        );
    }

    #[test]
    fn rejects_a_client_certificate_that_is_not_pem() {
        assert!(matches!(
            AutoMtls::new("not a certificate"),
            Err(TlsError::ClientCertificate(_))
        ));
    }

    #[test]
    fn server_certificate_is_generated_and_alpn_is_h2() {
        let tls = AutoMtls::new(&client_pem()).unwrap();
        assert!(!tls.server_certificate.is_empty());
        assert_eq!(tls.server_config.alpn_protocols, vec![b"h2".to_vec()]);
    }
}
