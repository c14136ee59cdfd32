//! Splitting a reply into the messages a connector sends.
//!
//! Each line of the reply becomes its own message (blank lines are dropped), and a line longer
//! than the connector's limit is cut into chunks that fit, at a word boundary where possible and
//! never inside a UTF-8 character.

/// Splits `text` into messages of at most `max_bytes` UTF-8 bytes each.
///
/// * The text is split on `'\n'` first; trailing `'\r'`s are trimmed from each line, and lines
///   that are empty or only whitespace are dropped. A line that fits is sent as is.
/// * A line longer than `max_bytes` is cut at the last whitespace within the limit; the
///   whitespace at the break is dropped. With no such whitespace it is cut at the last character
///   boundary within the limit.
/// * A single character longer than `max_bytes` (a 4-byte emoji with a limit of 3) is sent alone.
/// * `max_bytes == 0` means no limit: only the line splitting applies.
///
/// No returned message is empty or whitespace only, and only whitespace is ever dropped.
pub fn split_message(text: &str, max_bytes: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if is_blank(line) {
            continue;
        }
        if max_bytes == 0 || line.len() <= max_bytes {
            out.push(line.to_owned());
        } else {
            split_line(line, max_bytes, &mut out);
        }
    }
    out
}

/// Whitespace a line may be broken at. Non-breaking spaces are left alone: they are there to
/// keep their neighbours together.
fn is_break(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}')
}

fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// Cuts one line that is longer than `max_bytes` (> 0) into chunks, pushing them onto `out`.
fn split_line(line: &str, max_bytes: usize, out: &mut Vec<String>) {
    let mut rest = line;
    while !rest.is_empty() {
        if rest.len() <= max_bytes {
            push_chunk(rest, out);
            break;
        }
        let (chunk, next) = cut(rest, max_bytes);
        push_chunk(chunk, out);
        rest = next.trim_start_matches(is_break);
    }
}

fn push_chunk(chunk: &str, out: &mut Vec<String>) {
    if !is_blank(chunk) {
        out.push(chunk.to_owned());
    }
}

/// Cuts the front off `s`, which is longer than `max_bytes` (> 0): returns the chunk (at most
/// `max_bytes` bytes unless it is a single character) and what follows it.
fn cut(s: &str, max_bytes: usize) -> (&str, &str) {
    // The last character boundary within the limit. `s.len() > max_bytes`, so every index
    // looked at is inside `s`, and 0 is always a boundary.
    let mut limit = max_bytes;
    while !s.is_char_boundary(limit) {
        limit -= 1;
    }
    if limit == 0 {
        // The first character alone is over the limit: it goes out on its own.
        let first = s.chars().next().map_or(s.len(), char::len_utf8);
        return s.split_at(first);
    }

    // The last breaking whitespace that starts at or before the limit and has something other
    // than whitespace before it. A whitespace starting exactly at the limit counts: the chunk
    // before it fills the limit exactly.
    let mut seen_word = false;
    let mut last_break = None;
    for (i, c) in s.char_indices() {
        if i > limit {
            break;
        }
        if is_break(c) {
            if seen_word {
                last_break = Some(i);
            }
        } else {
            seen_word = true;
        }
    }

    match last_break {
        Some(i) => {
            let (chunk, rest) = s.split_at(i);
            (chunk.trim_end_matches(is_break), rest)
        }
        None => s.split_at(limit),
    }
}

#[cfg(test)]
mod tests {
    use super::split_message;

    fn split(text: &str, max: usize) -> Vec<String> {
        split_message(text, max)
    }

    #[test]
    fn each_line_is_its_own_message() {
        assert_eq!(split("one\ntwo\nthree", 0), ["one", "two", "three"]);
        assert_eq!(split("one\ntwo\nthree", 100), ["one", "two", "three"]);
    }

    #[test]
    fn empty_and_blank_lines_are_dropped() {
        assert_eq!(split("one\n\n\ntwo\n", 0), ["one", "two"]);
        assert_eq!(split("one\n   \n\t\r\ntwo", 0), ["one", "two"]);
        assert!(split("", 10).is_empty());
        assert!(split("\n\n\r\n", 10).is_empty());
        assert!(split("   ", 2).is_empty());
    }

    #[test]
    fn trailing_carriage_returns_are_trimmed() {
        assert_eq!(split("one\r\ntwo\r\n", 0), ["one", "two"]);
        assert_eq!(split("\r\n\r\n", 0), Vec::<String>::new());
        assert_eq!(split("one\r\r\ntwo\r", 0), ["one", "two"]);
    }

    #[test]
    fn a_line_that_fits_is_sent_verbatim() {
        assert_eq!(split("  indented  code  ", 0), ["  indented  code  "]);
        assert_eq!(split("  indented  code  ", 18), ["  indented  code  "]);
        assert_eq!(split("exactly10!", 10), ["exactly10!"]);
    }

    #[test]
    fn zero_means_no_limit() {
        let long = "word ".repeat(10_000);
        assert_eq!(split(&long, 0), [long.as_str()]);
    }

    #[test]
    fn long_lines_break_at_the_last_whitespace_within_the_limit() {
        assert_eq!(
            split("the quick brown fox jumps", 10),
            ["the quick", "brown fox", "jumps"]
        );
        // Whitespace right after a full chunk is a break too.
        assert_eq!(split("aaaa bbbb cc", 4), ["aaaa", "bbbb", "cc"]);
        // A run of whitespace at a break is dropped whole.
        assert_eq!(split("aaa    bbb", 5), ["aaa", "bbb"]);
        // Tabs and other breaking whitespace count.
        assert_eq!(split("aaa\tbbb ccc", 7), ["aaa\tbbb", "ccc"]);
    }

    #[test]
    fn long_words_fall_back_to_a_hard_break() {
        assert_eq!(split("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(split("ab cdefghijkl", 4), ["ab", "cdef", "ghij", "kl"]);
    }

    #[test]
    fn leading_indentation_is_kept_on_the_first_chunk_only() {
        assert_eq!(split("    foo bar baz", 10), ["    foo", "bar baz"]);
        // Indentation alone never makes a message.
        assert_eq!(split("      abcdef", 4), ["abcd", "ef"]);
    }

    #[test]
    fn non_breaking_spaces_are_not_break_points() {
        assert_eq!(split("10\u{a0}km away", 8), ["10\u{a0}km", "away"]);
        assert_eq!(split("aa\u{a0}bbbbb", 5), ["aa\u{a0}b", "bbbb"]);
    }

    #[test]
    fn never_breaks_inside_a_character() {
        // 'é' is 2 bytes: 5 of them are 10 bytes.
        assert_eq!(split("ééééé", 3), ["é", "é", "é", "é", "é"]);
        assert_eq!(split("ééééé", 4), ["éé", "éé", "é"]);
        // '€' is 3 bytes.
        assert_eq!(split("a€€", 4), ["a€", "€"]);
        // A multi-byte whitespace (U+3000) is a break.
        assert_eq!(split("ab\u{3000}cd", 4), ["ab", "cd"]);
    }

    #[test]
    fn a_character_longer_than_the_limit_goes_out_alone() {
        assert_eq!(split("😀", 3), ["😀"]);
        assert_eq!(split("😀😀", 3), ["😀", "😀"]);
        assert_eq!(split("a😀b", 3), ["a", "😀", "b"]);
        assert_eq!(split("😀 x", 1), ["😀", "x"]);
        assert_eq!(split("€", 1), ["€"]);
    }

    /// A small deterministic generator (xorshift64*), so the property test needs no new
    /// dependency and every failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Characters of every UTF-8 length, breaking and non-breaking whitespace, and line ends.
    const ALPHABET: &[char] = &[
        'a', 'b', 'z', 'Q', '0', '.', ' ', ' ', ' ', '\t', '\n', '\r', 'é', 'ß', '€', '中',
        '\u{3000}', '\u{a0}', '\u{2007}', '😀', '𝄞',
    ];

    fn generate(rng: &mut Rng) -> String {
        let len = rng.below(80);
        let mut s = String::new();
        while s.chars().count() < len {
            match rng.below(10) {
                // Now and then a long word, so that hard breaks happen too.
                0 => {
                    let c = ALPHABET[rng.below(ALPHABET.len())];
                    for _ in 0..rng.below(20) {
                        s.push(c);
                    }
                }
                _ => s.push(ALPHABET[rng.below(ALPHABET.len())]),
            }
        }
        s
    }

    fn without_whitespace(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn property_chunks_fit_are_non_empty_and_lose_nothing() {
        let mut rng = Rng(0x5eed_cafe_f00d_d00d);
        for case in 0..20_000 {
            let text = generate(&mut rng);
            let max = rng.below(13);
            let chunks = split_message(&text, max);

            for chunk in &chunks {
                let ctx = || format!("case {case}: text {text:?}, max {max}, chunks {chunks:?}");
                assert!(!chunk.is_empty(), "empty chunk; {}", ctx());
                assert!(
                    !chunk.chars().all(char::is_whitespace),
                    "blank chunk; {}",
                    ctx()
                );
                assert!(
                    max == 0 || chunk.len() <= max || chunk.chars().count() == 1,
                    "chunk {chunk:?} over the limit; {}",
                    ctx()
                );
                assert!(!chunk.contains('\n'), "newline in a chunk; {}", ctx());
                assert!(!chunk.ends_with('\r'), "trailing \\r; {}", ctx());
            }

            assert_eq!(
                without_whitespace(&chunks.concat()),
                without_whitespace(&text),
                "case {case}: text lost or reordered; text {text:?}, max {max}, chunks {chunks:?}"
            );

            // Lines that fit come back exactly as they were.
            let fitting: Vec<&str> = text
                .split('\n')
                .map(|l| l.trim_end_matches('\r'))
                .filter(|l| !l.chars().all(char::is_whitespace))
                .collect();
            if fitting.iter().all(|l| max == 0 || l.len() <= max) {
                assert_eq!(chunks, fitting, "case {case}: text {text:?}, max {max}");
            }
        }
    }

    #[test]
    fn property_a_hard_break_only_happens_when_no_whitespace_break_fits() {
        // With spaces no more than `max` bytes apart, no word is ever cut.
        let mut rng = Rng(42);
        for case in 0..5_000 {
            let max = 1 + rng.below(12);
            let mut words = Vec::new();
            for _ in 0..rng.below(30) {
                let len = 1 + rng.below(max);
                let word: String = (0..len)
                    .map(|_| (b'a' + rng.below(26) as u8) as char)
                    .collect();
                words.push(word);
            }
            let text = words.join(" ");
            let chunks = split_message(&text, max);
            let rejoined: Vec<String> = chunks
                .iter()
                .flat_map(|c| c.split(' ').map(str::to_owned))
                .collect();
            assert_eq!(rejoined, words, "case {case}: text {text:?}, max {max}");
        }
    }
}
