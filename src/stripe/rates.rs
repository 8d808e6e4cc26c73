//! Credit rates: tiers of purchase amounts (USD) with the credits each dollar buys, from
//! `CREDITS_RATE` (a JSON list), by default one tier of 5 to 10,000 USD at 100 credits a dollar.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateTier {
    pub lower_limit: u64,
    pub upper_limit: u64,
    /// Credits per US dollar.
    pub rate: u64,
    pub stripe_price_id: Option<String>,
}

pub fn default_tiers() -> Vec<RateTier> {
    vec![RateTier {
        lower_limit: 5,
        upper_limit: 10_000,
        rate: 100,
        stripe_price_id: None,
    }]
}

/// Parses `CREDITS_RATE`: a non-empty list of tiers, each with `lower_limit <= upper_limit`.
pub fn parse_tiers(json: &str) -> anyhow::Result<Vec<RateTier>> {
    let tiers: Vec<RateTier> = serde_json::from_str(json)
        .map_err(|e| anyhow::anyhow!("CREDITS_RATE is not a JSON list of {{lower_limit, upper_limit, rate, stripe_price_id}}: {e}"))?;
    anyhow::ensure!(!tiers.is_empty(), "CREDITS_RATE lists no tier");
    anyhow::ensure!(
        tiers.iter().all(|t| t.lower_limit <= t.upper_limit),
        "a CREDITS_RATE tier has lower_limit above upper_limit"
    );
    Ok(tiers)
}

/// The tier an amount of whole dollars falls in, if any.
pub fn tier_for(tiers: &[RateTier], dollars: u64) -> Option<&RateTier> {
    tiers
        .iter()
        .find(|t| (t.lower_limit..=t.upper_limit).contains(&dollars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_fall_in_a_tier_between_its_limits_inclusive() {
        let tiers = default_tiers();
        assert!(tier_for(&tiers, 4).is_none());
        assert_eq!(tier_for(&tiers, 5).unwrap().rate, 100);
        assert!(tier_for(&tiers, 10_000).is_some());
        assert!(tier_for(&tiers, 10_001).is_none());
    }

    #[test]
    fn configured_tiers_are_checked() {
        let json =
            r#"[{"lower_limit": 1, "upper_limit": 9, "rate": 90, "stripe_price_id": "price_1"}]"#;
        assert_eq!(
            parse_tiers(json).unwrap()[0].stripe_price_id.as_deref(),
            Some("price_1")
        );
        assert!(parse_tiers("[]").is_err());
        assert!(parse_tiers(
            r#"[{"lower_limit": 9, "upper_limit": 1, "rate": 1, "stripe_price_id": null}]"#
        )
        .is_err());
        assert!(parse_tiers("{").is_err());
    }
}
