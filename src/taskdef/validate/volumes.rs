//! Volume rules: names, one kind per volume, at most one configured at launch, the Docker and
//! host-path limits of Fargate, and the EFS rules (transit encryption with IAM or an access
//! point, the root directory an access point implies). Mount points that name a volume are
//! checked with the other references between fields.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::ecs_checks::{Checks, index, key, list, name_ok, text};
use crate::taskdef::validate::PathSegment;

const ENABLED_DISABLED: &[&str] = &["ENABLED", "DISABLED"];
const SCOPES: &[&str] = &["task", "shared"];

/// Volume rules; returns the volumes by name.
pub(super) fn check_volumes<'a>(
    checks: &mut Checks,
    definition: &'a Map<String, Json>,
    fargate: bool,
) -> BTreeMap<String, &'a Map<String, Json>> {
    let mut volumes = BTreeMap::new();
    let vpath = vec![PathSegment::Key("volumes".into())];
    let mut at_launch = 0;
    for (i, volume) in list(definition, "volumes").iter().enumerate() {
        let Some(volume) = volume.as_object() else {
            continue;
        };
        let path = index(&vpath, i);
        match text(volume, "name") {
            Some(name) if name_ok(name) => {
                if volumes.insert(name.to_string(), volume).is_some() {
                    checks.error(key(&path, "name"), "Duplicate volume name", format!("More than one volume is named {name:?}; mount points refer to volumes by name."));
                }
            }
            Some(name) => checks.error(key(&path, "name"), "Invalid volume name", format!("{name:?}: a volume name has up to 255 letters, digits, hyphens and underscores.")),
            None => checks.error(key(&path, "name"), "Missing volume name", "every volume needs a name (mount points refer to it)."),
        }
        // "Each volume … may only specify a name and one of either configuredAtLaunch,
        // dockerVolumeConfiguration, efsVolumeConfiguration, …, or host."
        let kinds: Vec<&str> = [
            "configuredAtLaunch",
            "dockerVolumeConfiguration",
            "efsVolumeConfiguration",
            "s3filesVolumeConfiguration",
            "fsxWindowsFileServerVolumeConfiguration",
            "host",
        ]
        .into_iter()
        .filter(|k| match volume.get(*k) {
            None | Some(Json::Null) | Some(Json::Bool(false)) => false,
            Some(Json::Object(o)) => !o.is_empty() || *k != "host",
            Some(_) => true,
        })
        .collect();
        if kinds.len() > 1 {
            checks.error(
                path.clone(),
                "A volume has one kind",
                format!(
                    "The volume sets {}; a volume is one of them.",
                    kinds.join(" and ")
                ),
            );
        }
        if volume.get("configuredAtLaunch") == Some(&Json::Bool(true)) {
            at_launch += 1;
        }
        if let Some(Json::Object(docker)) = volume.get("dockerVolumeConfiguration") {
            checks.one_of(
                docker,
                &key(&path, "dockerVolumeConfiguration"),
                "scope",
                SCOPES,
            );
            if fargate {
                checks.error(key(&path, "dockerVolumeConfiguration"), "Docker volumes are not supported on Fargate", "Docker volumes work on the EC2 launch type only; use an EFS volume or a bind mount on Fargate.");
            }
        }
        if fargate
            && volume
                .get("host")
                .and_then(|h| h.get("sourcePath"))
                .is_some_and(|p| !p.is_null())
        {
            checks.error(key(&path, "host"), "Host paths are not supported on Fargate", "On Fargate a bind mount has no host sourcePath; leave host out for a task-scoped volume.");
        }
        if let Some(Json::Object(efs)) = volume.get("efsVolumeConfiguration") {
            let epath = key(&path, "efsVolumeConfiguration");
            checks.one_of(efs, &epath, "transitEncryption", ENABLED_DISABLED);
            if efs
                .get("fileSystemId")
                .and_then(Json::as_str)
                .is_none_or(str::is_empty)
            {
                checks.error(
                    key(&epath, "fileSystemId"),
                    "Missing fileSystemId",
                    "an EFS volume names its file system (fs-…).",
                );
            }
            checks.whole_in(efs, &epath, "transitEncryptionPort", 1, 65535);
            let encrypted = text(efs, "transitEncryption") == Some("ENABLED");
            if let Some(Json::Object(authorization)) = efs.get("authorizationConfig") {
                let apath = key(&epath, "authorizationConfig");
                checks.one_of(authorization, &apath, "iam", ENABLED_DISABLED);
                // "If it is turned on, transit encryption must be turned on in the
                // EFSVolumeConfiguration." / "If an access point is used, transit encryption
                // must be on in the EFSVolumeConfiguration."
                if text(authorization, "iam") == Some("ENABLED") && !encrypted {
                    checks.error(key(&epath, "transitEncryption"), "EFS IAM authorization needs transit encryption", "authorizationConfig.iam is ENABLED, which requires transitEncryption ENABLED.");
                }
                let access_point =
                    text(authorization, "accessPointId").is_some_and(|a| !a.is_empty());
                if access_point && !encrypted {
                    checks.error(key(&epath, "transitEncryption"), "An EFS access point needs transit encryption", "authorizationConfig.accessPointId is set, which requires transitEncryption ENABLED.");
                }
                // "the root directory parameter must either be omitted or set to /"
                if access_point && text(efs, "rootDirectory").is_some_and(|r| r != "/") {
                    checks.error(key(&epath, "rootDirectory"), "rootDirectory with an EFS access point", "With an access point the access point sets the path: leave rootDirectory out or set it to \"/\".");
                }
                if text(authorization, "iam") == Some("ENABLED")
                    && definition.get("taskRoleArn").is_none_or(Json::is_null)
                {
                    checks.warn(key(&apath, "iam"), "EFS IAM authorization without a task role", "authorizationConfig.iam mounts with the task role, but the task definition sets no taskRoleArn.");
                }
            }
        }
    }
    if at_launch > 1 {
        checks.error(vpath, "Only one volume can be configured at launch", format!("{at_launch} volumes set configuredAtLaunch; a task definition revision may have one."));
    }
    volumes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summaries(volumes: Json, fargate: bool) -> Vec<String> {
        let definition = json!({ "volumes": volumes });
        let mut checks = Checks {
            problems: Vec::new(),
        };
        let found = check_volumes(&mut checks, definition.as_object().unwrap(), fargate);
        assert!(found.len() <= 2);
        checks.problems.into_iter().map(|p| p.summary).collect()
    }

    #[test]
    fn names_are_unique_and_valid() {
        assert_eq!(
            summaries(json!([{"name": "data"}, {"name": "data"}]), false),
            ["Duplicate volume name"]
        );
        assert_eq!(
            summaries(json!([{"name": "a b"}, {}]), false),
            ["Invalid volume name", "Missing volume name"]
        );
    }

    #[test]
    fn efs_iam_and_access_points_need_transit_encryption() {
        let efs = json!([{"name": "d", "efsVolumeConfiguration": {
            "fileSystemId": "fs-1",
            "authorizationConfig": {"iam": "ENABLED", "accessPointId": "fsap-1"}
        }}]);
        let found = summaries(efs, false);
        assert!(found.contains(&"EFS IAM authorization needs transit encryption".to_string()));
        assert!(found.contains(&"An EFS access point needs transit encryption".to_string()));
    }

    #[test]
    fn docker_volumes_and_host_paths_are_not_for_fargate() {
        let volumes = json!([
            {"name": "a", "dockerVolumeConfiguration": {"scope": "task"}},
            {"name": "b", "host": {"sourcePath": "/data"}}
        ]);
        assert!(summaries(volumes.clone(), false).is_empty());
        assert_eq!(
            summaries(volumes, true),
            [
                "Docker volumes are not supported on Fargate",
                "Host paths are not supported on Fargate"
            ]
        );
    }
}
