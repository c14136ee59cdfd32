//! The command table: the one lookup that help and dispatch share.

use std::collections::HashMap;
use std::sync::Arc;

use crate::command::{Command, CommandSpec};
use crate::plugin::Source;

/// One command with the spec dispatch applies and where it came from.
#[derive(Clone)]
pub struct CommandEntry {
    /// The command.
    pub command: Arc<dyn Command>,
    /// The spec with config applied (extra aliases, cooldowns).
    pub spec: CommandSpec,
    /// The plugin that registered it.
    pub plugin: String,
    /// Where that plugin came from.
    pub source: Source,
}

/// Every command by keyword, as built by the registry (it changes on reload).
#[derive(Clone, Default)]
pub struct CommandTable {
    entries: Vec<CommandEntry>,
    keywords: HashMap<String, usize>,
}

impl CommandTable {
    /// Builds the table from entries whose keywords the registry has already checked.
    pub fn new(mut entries: Vec<CommandEntry>) -> Self {
        entries.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
        let mut keywords = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            keywords.insert(entry.spec.name.clone(), index);
            for alias in &entry.spec.aliases {
                keywords.insert(alias.clone(), index);
            }
        }
        CommandTable { entries, keywords }
    }

    /// The command a keyword (name or alias, any case) runs.
    pub fn lookup(&self, keyword: &str) -> Option<&CommandEntry> {
        let index = match self.keywords.get(keyword) {
            Some(index) => *index,
            None => *self.keywords.get(&keyword.to_lowercase())?,
        };
        self.entries.get(index)
    }

    /// Every command, sorted by name.
    pub fn entries(&self) -> &[CommandEntry] {
        &self.entries
    }

    /// Every name and alias, for "did you mean".
    pub fn keywords(&self) -> impl Iterator<Item = &str> {
        self.keywords.keys().map(String::as_str)
    }

    /// How many commands there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
