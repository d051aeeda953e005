//! ECS's request throttling, as the emulator in front of moto answers it: one token bucket per
//! category of actions for the whole account and Region, each with the size ECS publishes,
//! and `ThrottlingException: Rate exceeded` for a call that finds its bucket empty. Written
//! from ECS's documentation, not from ecstpl's adapter: the two must agree on their own.
//!
//! Source of the table: "Request throttling for the Amazon ECS API", Amazon ECS API Reference
//! (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html) and the
//! Developer Guide page of the same name: "bucket maximum capacity" (burst) and "bucket refill
//! rate" (tokens per second), per account and Region.
//!
//! `scale` multiplies every refill rate so that a CI run is short; bursts stay as published,
//! so the shape of a run (a burst, then the sustained rate) stays the same.

use std::collections::BTreeMap;
use std::time::Instant;

/// (category, actions, burst, refill per second), as published.
pub const PUBLISHED: &[(&str, &[&str], u32, f64)] = &[
    (
        "task_definition_modify",
        &["RegisterTaskDefinition", "DeregisterTaskDefinition"],
        20,
        1.0,
    ),
    (
        "task_definition_read",
        &[
            "DescribeTaskDefinition",
            "ListTaskDefinitions",
            "ListTaskDefinitionFamilies",
        ],
        50,
        20.0,
    ),
    (
        "task_definition_deletion",
        &["DeleteTaskDefinitions"],
        5,
        1.0,
    ),
    (
        "service_modify",
        &["CreateService", "UpdateService", "DeleteService"],
        50,
        5.0,
    ),
    (
        "service_read",
        &["DescribeServices", "ListServices"],
        100,
        20.0,
    ),
    (
        "service_deployments",
        &["ListServiceDeployments", "DescribeServiceDeployments"],
        50,
        20.0,
    ),
    ("service_revisions", &["DescribeServiceRevisions"], 50, 20.0),
    ("tag_modify", &["TagResource", "UntagResource"], 20, 10.0),
    ("tag_read", &["ListTagsForResource"], 50, 20.0),
    (
        "cluster_resource_modify",
        &["RunTask", "StartTask", "StopTask"],
        100,
        40.0,
    ),
    (
        "cluster_resource_read",
        &["DescribeTasks", "ListTasks"],
        100,
        20.0,
    ),
];

struct Bucket {
    burst: f64,
    refill: f64,
    tokens: f64,
    at: Instant,
}

/// The account's buckets, one set per Region (ECS's limits are per account and Region), each
/// full when the Region's first call comes.
pub struct EcsThrottle {
    scale: f64,
    buckets: BTreeMap<(String, &'static str), Bucket>,
    /// Throttled answers per action.
    pub throttled: BTreeMap<String, u32>,
    /// Throttled answers per access key (one per process when each process signs with its
    /// own key).
    pub throttled_by_key: BTreeMap<String, u32>,
    /// Calls let through per category.
    pub accepted: BTreeMap<&'static str, u32>,
    /// Calls let through per Region and category.
    pub accepted_in: BTreeMap<(String, &'static str), u32>,
}

impl EcsThrottle {
    pub fn new(scale: f64) -> EcsThrottle {
        EcsThrottle {
            scale,
            buckets: BTreeMap::new(),
            throttled: BTreeMap::new(),
            throttled_by_key: BTreeMap::new(),
            accepted: BTreeMap::new(),
            accepted_in: BTreeMap::new(),
        }
    }

    /// Whether ECS would answer this call now (a token taken), or throttle it (counted).
    pub fn admit(&mut self, operation: &str, access_key: &str, region: &str) -> bool {
        let Some((category, _, burst, refill)) = PUBLISHED
            .iter()
            .find(|(_, actions, ..)| actions.contains(&operation))
        else {
            return true;
        };
        let now = Instant::now();
        let scale = self.scale;
        let bucket = self
            .buckets
            .entry((region.to_string(), *category))
            .or_insert_with(|| Bucket {
                burst: f64::from(*burst),
                refill: refill * scale,
                tokens: f64::from(*burst),
                at: now,
            });
        bucket.tokens = (bucket.tokens
            + now.duration_since(bucket.at).as_secs_f64() * bucket.refill)
            .min(bucket.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            *self.accepted.entry(category).or_default() += 1;
            *self
                .accepted_in
                .entry((region.to_string(), *category))
                .or_default() += 1;
            true
        } else {
            *self.throttled.entry(operation.to_string()).or_default() += 1;
            *self
                .throttled_by_key
                .entry(access_key.to_string())
                .or_default() += 1;
            false
        }
    }

    /// The scaled buckets as ecstpl's `ECSTPL_ECS_RATE_LIMITS` / `ecs_rate_limits` take them,
    /// so the client paces to the buckets the emulator enforces (as an account whose limits
    /// AWS Support raised).
    pub fn client_limits(&self) -> BTreeMap<String, String> {
        PUBLISHED
            .iter()
            .map(|(category, _, burst, refill)| {
                (
                    category.to_string(),
                    format!("{burst}/{}", refill * self.scale),
                )
            })
            .collect()
    }

    /// The least time the accepted calls need under these buckets: for each Region and
    /// category, (accepted − burst) / refill; the largest of them (Regions have their own
    /// buckets, so their waits overlap).
    pub fn floor_seconds(&self) -> f64 {
        self.accepted_in
            .iter()
            .filter_map(|((_, category), accepted)| {
                let (_, _, burst, refill) = PUBLISHED.iter().find(|(c, ..)| c == category)?;
                Some(((f64::from(*accepted) - f64::from(*burst)) / (refill * self.scale)).max(0.0))
            })
            .fold(0.0, f64::max)
    }

    pub fn total_throttled(&self) -> u32 {
        self.throttled.values().sum()
    }
}
