//! The test suite's model of what ECS stores for a RegisterTaskDefinition request: what a
//! later DescribeTaskDefinition returns. moto stores nearly what it is given; ECS does not. Each
//! rewrite below comes from public evidence (the ECS API reference, AWS examples, or an issue
//! that shows describe output, state or a plan diff), with the source next to it. It is
//! written from that evidence only, never from ecstpl's normalizer, so a test behind it checks
//! ecstpl against ECS's behaviour rather than against itself.
//!
//! Where moto and ECS differ, this follows ECS: for example, a definition registered without a
//! network mode stays without one (sil-org/ecs-deploy#61), whatever moto reports.

use serde_json::{Map, Value, json};

/// One rewrite: a name, the source it is written from, and what it does to a stored
/// definition (the request as registered).
pub struct Rewrite {
    #[allow(
        dead_code,
        reason = "read by people: what the rewrite is and the evidence for it"
    )]
    pub name: &'static str,
    #[allow(
        dead_code,
        reason = "read by people: what the rewrite is and the evidence for it"
    )]
    pub source: &'static str,
    pub apply: fn(&mut Map<String, Value>),
}

/// The rewrites, in the order ECS's behaviour composes (container fields first, then
/// ordering, then task-level fields).
pub const REWRITES: &[Rewrite] = &[
    Rewrite {
        name: "nulls are not stored",
        // The API has no null: the console's JSON view prints nulls for unset fields, which
        // DescribeTaskDefinition does not return.
        source: "https://github.com/hashicorp/terraform-provider-aws/issues/21861",
        apply: drop_nulls,
    },
    Rewrite {
        name: "essential absent is stored as true",
        source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html",
        apply: |d| {
            each_container(d, |c| {
                c.entry("essential").or_insert(json!(true));
            })
        },
    },
    Rewrite {
        name: "container cpu absent is stored as 0",
        source: "https://github.com/hashicorp/terraform-aws-consul-ecs/issues/318",
        apply: |d| {
            each_container(d, |c| {
                c.entry("cpu").or_insert(json!(0));
            })
        },
    },
    Rewrite {
        name: "a FireLens log router registered without user is stored with user \"0\"",
        // A log router registered with `user` null plans `~ user = "0" -> null` forever,
        // and ECS rejects any user whose UID is not 0 on a FireLens container; hako
        // (eagletmt/hako#93) sets "0" itself for the same reason.
        source: "https://github.com/cloudposse/terraform-aws-ecs-container-definition/pull/97",
        apply: |d| {
            each_container(d, |c| {
                if c.contains_key("firelensConfiguration") {
                    c.entry("user").or_insert(json!("0"));
                }
            })
        },
    },
    Rewrite {
        name: "portMappings, environment, mountPoints, volumesFrom absent are stored as []",
        source: "https://github.com/aws/aws-cli/blob/develop/awscli/examples/ecs/register-task-definition.rst",
        apply: |d| {
            each_container(d, |c| {
                for key in ["portMappings", "environment", "mountPoints", "volumesFrom"] {
                    c.entry(key).or_insert(json!([]));
                }
            })
        },
    },
    Rewrite {
        name: "systemControls absent is stored as []",
        source: "https://github.com/terraform-aws-modules/terraform-aws-ecs/pull/176",
        apply: |d| {
            each_container(d, |c| {
                c.entry("systemControls").or_insert(json!([]));
            })
        },
    },
    Rewrite {
        name: "an absent host port is the container port under awsvpc",
        source: "https://github.com/hashicorp/terraform-provider-aws/issues/3401",
        apply: |d| fill_host_port(d, "awsvpc"),
    },
    Rewrite {
        name: "an absent host port is the container port under host networking",
        source: "https://github.com/aws/amazon-ecs-agent/issues/185",
        apply: |d| fill_host_port(d, "host"),
    },
    Rewrite {
        name: "an absent protocol is stored as tcp",
        source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html",
        apply: |d| {
            each_container(d, |c| {
                if let Some(Value::Array(mappings)) = c.get_mut("portMappings") {
                    for mapping in mappings.iter_mut().filter_map(Value::as_object_mut) {
                        mapping.entry("protocol").or_insert(json!("tcp"));
                    }
                }
            })
        },
    },
    Rewrite {
        name: "environment entries with an empty or no value are dropped",
        source: "https://github.com/hashicorp/terraform-provider-aws/issues/39533",
        apply: |d| {
            each_container(d, |c| {
                if let Some(Value::Array(entries)) = c.get_mut("environment") {
                    entries.retain(|e| {
                        e.get("value")
                            .and_then(Value::as_str)
                            .is_some_and(|v| !v.is_empty())
                    });
                }
            })
        },
    },
    Rewrite {
        name: "environment and secrets come back in a stable order that is neither the input's nor sorted",
        source: "https://github.com/aws/aws-sdk-java/issues/3043",
        apply: |d| {
            each_container(d, |c| {
                for key in ["environment", "secrets"] {
                    if let Some(Value::Array(entries)) = c.get_mut(key) {
                        entries.sort_by_key(|e| {
                            scrambled(e.get("name").and_then(Value::as_str).unwrap_or_default())
                        });
                    }
                }
            })
        },
    },
    Rewrite {
        name: "health check interval, timeout and retries are stored as 30, 5 and 3",
        source: "https://github.com/terraform-aws-modules/terraform-aws-ecs/issues/148",
        apply: |d| {
            each_container(d, |c| {
                if let Some(Value::Object(health)) = c.get_mut("healthCheck") {
                    health.entry("interval").or_insert(json!(30));
                    health.entry("timeout").or_insert(json!(5));
                    health.entry("retries").or_insert(json!(3));
                }
            })
        },
    },
    Rewrite {
        name: "linux capabilities without add are stored with add: []",
        source: "https://github.com/braintrustdata/terraform-aws-braintrust-data-plane/pull/335",
        apply: |d| {
            each_container(d, |c| {
                if let Some(Value::Object(capabilities)) = c
                    .get_mut("linuxParameters")
                    .and_then(|l| l.get_mut("capabilities"))
                {
                    capabilities.entry("add").or_insert(json!([]));
                }
            })
        },
    },
    Rewrite {
        name: "containers do not keep the input's order",
        source: "https://github.com/hashicorp/terraform-provider-aws/pull/36029",
        apply: |d| {
            if let Some(Value::Array(containers)) = d.get_mut("containerDefinitions") {
                containers.reverse();
            }
        },
    },
    Rewrite {
        name: "task cpu and memory are stored in units",
        source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html",
        apply: |d| {
            for (key, suffix) in [("cpu", "vcpu"), ("memory", "gb")] {
                if let Some(text) = d.get(key).and_then(Value::as_str) {
                    let lower = text.to_ascii_lowercase().replace(' ', "");
                    if let Some(number) = lower.strip_suffix(suffix)
                        && let Ok(n) = number.parse::<f64>()
                    {
                        d.insert(key.into(), json!(((n * 1024.0).round() as i64).to_string()));
                    }
                }
            }
        },
    },
    Rewrite {
        name: "volumes and placementConstraints absent are stored as []",
        source: "https://github.com/aws/aws-cli/blob/develop/awscli/examples/ecs/register-task-definition.rst",
        apply: |d| {
            d.entry("volumes").or_insert(json!([]));
            d.entry("placementConstraints").or_insert(json!([]));
        },
    },
    Rewrite {
        name: "enableFaultInjection absent is returned as false",
        source: "https://github.com/aws-actions/amazon-ecs-deploy-task-definition/pull/706",
        apply: |d| {
            d.entry("enableFaultInjection").or_insert(json!(false));
        },
    },
    Rewrite {
        name: "volumes come back with configuredAtLaunch: false",
        source: "https://github.com/hashicorp/terraform-provider-aws/pull/46132",
        apply: |d| {
            each_volume(d, |v| {
                v.entry("configuredAtLaunch").or_insert(json!(false));
            })
        },
    },
    Rewrite {
        name: "an EFS volume without rootDirectory is stored with \"/\"",
        source: "https://github.com/CircleCI-Public/aws-ecs-orb/issues/105",
        apply: |d| {
            each_volume(d, |v| {
                if let Some(Value::Object(efs)) = v.get_mut("efsVolumeConfiguration") {
                    efs.entry("rootDirectory").or_insert(json!("/"));
                }
            })
        },
    },
    Rewrite {
        name: "a Docker volume without scope or driver is stored with task and local",
        source: "https://github.com/eagletmt/hako/blob/master/lib/hako/schedulers/ecs_volume_comparator.rb",
        apply: |d| {
            each_volume(d, |v| {
                if let Some(Value::Object(docker)) = v.get_mut("dockerVolumeConfiguration") {
                    docker.entry("scope").or_insert(json!("task"));
                    docker.entry("driver").or_insert(json!("local"));
                }
            })
        },
    },
];

/// What ECS stores for `request` (RegisterTaskDefinition input): the body a describe returns,
/// without the read-only fields (the caller takes those from the emulator).
pub fn stored(request: &Value) -> Map<String, Value> {
    let mut definition = request.as_object().cloned().unwrap_or_default();
    // Tags are returned beside the definition, and only when asked for (include=TAGS).
    definition.remove("tags");
    for rewrite in REWRITES {
        (rewrite.apply)(&mut definition);
    }
    definition
}

fn drop_nulls(definition: &mut Map<String, Value>) {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(object) => {
                object.retain(|_, v| !v.is_null());
                object.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    definition.retain(|_, v| !v.is_null());
    definition.values_mut().for_each(walk);
}

fn each_container(definition: &mut Map<String, Value>, f: impl Fn(&mut Map<String, Value>)) {
    if let Some(Value::Array(containers)) = definition.get_mut("containerDefinitions") {
        containers
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(f);
    }
}

fn each_volume(definition: &mut Map<String, Value>, f: impl Fn(&mut Map<String, Value>)) {
    if let Some(Value::Array(volumes)) = definition.get_mut("volumes") {
        volumes
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(f);
    }
}

fn fill_host_port(definition: &mut Map<String, Value>, mode: &str) {
    if definition.get("networkMode").and_then(Value::as_str) != Some(mode) {
        return;
    }
    each_container(definition, |c| {
        if let Some(Value::Array(mappings)) = c.get_mut("portMappings") {
            for mapping in mappings.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(port) = mapping.get("containerPort").cloned() {
                    mapping.entry("hostPort").or_insert(port);
                }
            }
        }
    });
}

/// A stable key that orders names neither as given nor alphabetically (FNV-1a).
fn scrambled(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_rewrites_as_the_evidence_says() {
        let request = json!({
            "family": "web", "networkMode": "host", "cpu": "1 vCPU", "memory": "2 GB",
            "tags": [{"key": "a", "value": "b"}],
            "containerDefinitions": [
                {"name": "app", "image": "x", "user": null,
                 "portMappings": [{"containerPort": 8125}],
                 "environment": [{"name": "A", "value": "1"}, {"name": "E", "value": ""}, {"name": "B", "value": "2"}],
                 "healthCheck": {"command": ["CMD", "true"]}},
                {"name": "sidecar", "image": "y", "memory": 64}
            ]
        });
        let stored = stored(&request);
        assert_eq!(stored["cpu"], "1024");
        assert_eq!(stored["memory"], "2048");
        assert!(!stored.contains_key("tags"));
        assert!(!stored.contains_key("networkMode") || stored["networkMode"] == "host");
        assert_eq!(stored["containerDefinitions"][0]["name"], "sidecar");
        let app = &stored["containerDefinitions"][1];
        assert_eq!(
            app["portMappings"][0],
            json!({"containerPort": 8125, "hostPort": 8125, "protocol": "tcp"})
        );
        assert_eq!(app["essential"], true);
        assert_eq!(app["cpu"], 0);
        assert!(app.get("user").is_none());
        assert_eq!(app["healthCheck"]["interval"], 30);
        let mut names: Vec<&str> = app["environment"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["A", "B"]);
    }

    #[test]
    fn a_log_router_without_user_is_stored_as_root_and_other_containers_are_not() {
        let stored = stored(&json!({
            "family": "logs",
            "containerDefinitions": [
                {"name": "log_router", "image": "fluent-bit", "firelensConfiguration": {"type": "fluentbit"}},
                {"name": "app", "image": "x", "logConfiguration": {"logDriver": "awsfirelens"}}
            ]
        }));
        let user = |name: &str| {
            stored["containerDefinitions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
                .unwrap()
                .get("user")
                .cloned()
        };
        assert_eq!(user("log_router"), Some(json!("0")));
        assert_eq!(user("app"), None);
    }
}
