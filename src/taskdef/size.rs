//! Task-level cpu and memory: ECS accepts "1 vCPU" / "2 GB" and stores integers ("1024",
//! "2048"). Both forms mean the same; Fargate allows only certain combinations.

fn scaled(text: &str, units: &[&str], factor: f64) -> Option<String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let value: u64 = text.parse().ok()?;
        return Some(value.to_string());
    }
    let lower = text.to_ascii_lowercase();
    let number = units
        .iter()
        .find_map(|unit| lower.strip_suffix(unit))?
        .trim();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let result = value * factor;
    if result <= 0.0 || result.fract() != 0.0 || result > 1e12 {
        return None;
    }
    Some(format!("{}", result as u64))
}

/// "1 vCPU", ".25 vcpu", "256" → CPU units as ECS stores them; None when not a CPU size.
pub fn normalize_cpu(text: &str) -> Option<String> {
    scaled(text, &["vcpu"], 1024.0)
}

/// "2 GB", ".5 gb", "512" → MiB as ECS stores them; None when not a memory size.
pub fn normalize_memory(text: &str) -> Option<String> {
    scaled(text, &["gb"], 1024.0)
}

/// Fargate's allowed task sizes: for each CPU value, the memory range and step (MiB).
const FARGATE_SIZES: &[(u64, u64, u64, u64)] = &[
    (256, 512, 2048, 0),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// Checks a Fargate cpu/memory pair, naming the allowed values when it is not one.
pub fn validate_fargate_size(cpu: &str, memory: &str) -> Result<(), String> {
    let cpu_units: u64 = normalize_cpu(cpu)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{cpu:?} is not a CPU size"))?;
    let memory_mib: u64 = normalize_memory(memory)
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| format!("{memory:?} is not a memory size"))?;
    let Some(&(_, low, high, step)) = FARGATE_SIZES.iter().find(|(c, ..)| *c == cpu_units) else {
        let allowed: Vec<String> = FARGATE_SIZES.iter().map(|(c, ..)| c.to_string()).collect();
        return Err(format!(
            "Fargate does not offer cpu {cpu_units}; use one of {}.",
            allowed.join(", ")
        ));
    };
    let fits = if step == 0 {
        // 256 CPU units: 512, 1024 or 2048 MiB.
        [512, 1024, 2048].contains(&memory_mib)
    } else {
        (low..=high).contains(&memory_mib) && (memory_mib - low).is_multiple_of(step)
    };
    if fits {
        Ok(())
    } else if step == 0 {
        Err(format!(
            "Fargate with cpu {cpu_units} takes memory 512, 1024 or 2048, not {memory_mib}."
        ))
    } else {
        Err(format!(
            "Fargate with cpu {cpu_units} takes memory from {low} to {high} in steps of {step}, not {memory_mib}."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_every_form_ecs_accepts() {
        assert_eq!(normalize_cpu("256").as_deref(), Some("256"));
        assert_eq!(normalize_cpu(".25 vcpu").as_deref(), Some("256"));
        assert_eq!(normalize_cpu("1 vCPU").as_deref(), Some("1024"));
        assert_eq!(normalize_cpu("0.5vCPU").as_deref(), Some("512"));
        assert_eq!(normalize_memory(".5 gb").as_deref(), Some("512"));
        assert_eq!(normalize_memory("2 GB").as_deref(), Some("2048"));
        assert_eq!(normalize_memory("2048").as_deref(), Some("2048"));
    }

    #[test]
    fn non_sizes_are_rejected() {
        for text in ["", "fast", "1 core", "-1", "0.1 vCPU", "1.5", "2 MB"] {
            assert_eq!(normalize_cpu(text), None, "{text}");
        }
        assert_eq!(normalize_memory("1 TB"), None);
    }

    #[test]
    fn fargate_combinations() {
        assert!(validate_fargate_size("256", "512").is_ok());
        assert!(validate_fargate_size(".25 vCPU", "2 GB").is_ok());
        assert!(validate_fargate_size("1024", "3072").is_ok());
        assert!(validate_fargate_size("256", "4096").is_err());
        assert!(
            validate_fargate_size("1024", "1024")
                .unwrap_err()
                .contains("2048 to 8192")
        );
        assert!(
            validate_fargate_size("300", "1024")
                .unwrap_err()
                .contains("256")
        );
        assert!(validate_fargate_size("8192", "20480").is_ok());
        assert!(validate_fargate_size("8192", "18432").is_err());
    }
}
