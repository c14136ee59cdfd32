//! "Did you mean" for command names, config sections and config keys.

/// The candidate closest to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn a_typo_finds_the_intended_word() {
        assert_eq!(
            did_you_mean("pign", ["ping", "help", "uptime"]),
            Some("ping")
        );
        assert_eq!(did_you_mean("prefx", ["prefix", "name"]), Some("prefix"));
        assert_eq!(did_you_mean("HELP", ["help"]), Some("help"));
    }

    #[test]
    fn an_unrelated_word_finds_nothing() {
        assert_eq!(did_you_mean("weather", ["ping", "help", "uptime"]), None);
        assert_eq!(did_you_mean("x", std::iter::empty()), None);
    }
}
