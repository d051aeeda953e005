//! Which credentials `ecstpl` signs with: `--profile` decides, as in the aws CLI, even with
//! keys in the environment; a profile that does not exist is bad input, not a silent fallback.

use std::process::Command;

use crate::support::Moto;
use crate::support::proxy::RecordingProxy;

const ECSTPL: &str = env!("CARGO_BIN_EXE_ecstpl");

const CREDENTIALS_FILE: &str = "[default]\naws_access_key_id = DEFAULTPROFILEKEY\naws_secret_access_key = default-secret\n\n[other]\naws_access_key_id = OTHERPROFILEKEY\naws_secret_access_key = other-secret\n";

fn status(endpoint: &str, credentials: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let output = Command::new(ECSTPL)
        .args(["status", "--cluster", "prod", "--service", "web"])
        .args(extra)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "ENVIRONMENTKEY")
        .env("AWS_SECRET_ACCESS_KEY", "environment-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_SHARED_CREDENTIALS_FILE", credentials)
        .env("AWS_CONFIG_FILE", credentials.with_file_name("no-config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run ecstpl");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn profile_flag_wins_over_environment_keys_and_an_unknown_one_is_refused() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let dir = tempfile::tempdir().expect("temp dir");
    let credentials = dir.path().join("credentials");
    std::fs::write(&credentials, CREDENTIALS_FILE).expect("write credentials");

    // The service does not exist (exit 2), but the calls that find that out are signed.
    let (code, stderr) = status(&proxy.endpoint(), &credentials, &["--profile", "other"]);
    assert_eq!(code, 2, "{stderr}");
    let keys = proxy.access_keys();
    assert!(!keys.is_empty(), "no call reached ECS");
    assert!(keys.iter().all(|k| k == "OTHERPROFILEKEY"), "{keys:?}");

    proxy.clear_access_keys();
    let (_, stderr) = status(&proxy.endpoint(), &credentials, &[]);
    let keys = proxy.access_keys();
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k == "ENVIRONMENTKEY"),
        "{keys:?} {stderr}"
    );

    proxy.clear();
    let (code, stderr) = status(&proxy.endpoint(), &credentials, &["--profile", "othr"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("profile \"othr\" is not defined") && stderr.contains("default, other"),
        "{stderr}"
    );
    assert!(proxy.calls().is_empty(), "{:?}", proxy.calls());

    // AWS_PROFILE naming a missing profile is just as wrong.
    let output = Command::new(ECSTPL)
        .args(["status", "--cluster", "prod", "--service", "web"])
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_PROFILE", "nosuch")
        .output()
        .expect("run ecstpl");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("AWS_PROFILE \"nosuch\""), "{stderr}");
}
