use std::time::Duration;

use switchboard_api::{
    async_trait, Command, CommandError, CommandSpec, Context, Invocation, Reply,
};

pub struct Uptime;

#[async_trait]
impl Command for Uptime {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new("uptime", "Shows how long the bot has been running.")
    }

    async fn execute(&self, _: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        Ok(Reply::text(format!(
            "up {}",
            human(ctx.info().started.elapsed())
        )))
    }
}

/// `3d 4h 5m 6s`, leaving out leading zero units.
pub fn human(elapsed: Duration) -> String {
    let total = elapsed.as_secs();
    let units = [
        (total / 86_400, "d"),
        (total / 3600 % 24, "h"),
        (total / 60 % 60, "m"),
        (total % 60, "s"),
    ];
    let parts: Vec<String> = units
        .iter()
        .skip_while(|(n, unit)| *n == 0 && *unit != "s")
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::human;
    use std::time::Duration;

    #[test]
    fn human_durations_skip_leading_zero_units() {
        assert_eq!(human(Duration::from_secs(0)), "0s");
        assert_eq!(human(Duration::from_secs(61)), "1m 1s");
        assert_eq!(human(Duration::from_secs(90_061)), "1d 1h 1m 1s");
        assert_eq!(human(Duration::from_secs(3600)), "1h 0m 0s");
    }
}
