//! `!checkins`: today's check-ins on the check-in channel.

use chrono::Utc;
use switchboard_api::{
    async_trait, Command, CommandError, CommandSpec, Context, Invocation, Reply,
};

use super::config::CheckinSettings;
use super::store::CheckinStore;

pub struct CheckinsCommand {
    pub settings: CheckinSettings,
}

#[async_trait]
impl Command for CheckinsCommand {
    fn spec(&self) -> CommandSpec {
        CommandSpec::new(
            "checkins",
            "Shows today's check-ins on the check-in channel.",
        )
    }

    async fn execute(&self, _call: Invocation, ctx: &Context) -> Result<Reply, CommandError> {
        let rows = CheckinStore::new(ctx.store())
            .all()
            .await
            .map_err(CommandError::failed)?;
        let date = self.settings.timezone.day_of(Utc::now());
        let channel = &self.settings.channel;
        if !self
            .settings
            .days
            .includes(chrono::Datelike::weekday(&date))
        {
            let next = self
                .settings
                .days
                .next_after(date)
                .map(|d| format!("; the next one is {}", d.format("%A %Y-%m-%d")))
                .unwrap_or_default();
            return Ok(Reply::text(format!(
                "Today ({}) is not a check-in day on {channel}{next}.",
                date.format("%A")
            )));
        }
        let today = date.format("%Y-%m-%d").to_string();
        let names: Vec<String> = rows
            .into_iter()
            .filter(|r| r.checkin.day == today && r.checkin.channel == self.settings.channel)
            .map(|r| r.checkin.username)
            .collect();
        Ok(Reply::text(match names.len() {
            0 => format!("No check-ins on {channel} today yet."),
            1 => format!("1 check-in on {channel} today: {}", names[0]),
            n => format!("{n} check-ins on {channel} today: {}", names.join(", ")),
        }))
    }
}
