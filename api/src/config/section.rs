//! Sections declared once, as structs: [`config_section!`](crate::config_section) turns a struct
//! whose fields are keys (and groups of keys) into its [`SectionSpec`] and a typed reader.

use super::{ConfigError, FromConfigValue, KeySpec, SectionSpec, SectionView, ValueError};

/// Keys read together from one section: a whole section, or a group of keys that several
/// sections share (the listener keys of every sink, the keys of every connector).
pub trait ConfigKeys: Sized {
    /// The declared keys, in declaration order, groups flattened.
    fn keys() -> Vec<KeySpec>;
    /// Reads every key from `view`: the environment (for keys that name a variable), then the
    /// files, then the declared default. The error names the file, line, section and key.
    fn read(view: &SectionView<'_>) -> Result<Self, ConfigError>;
}

/// A section of `config.ini`, or a family of sections (`Connector.console.*`).
pub trait ConfigSection: ConfigKeys {
    /// The section's declaration, which validation, typed access and the reference docs read.
    fn spec() -> &'static SectionSpec;
}

/// One field of a declared struct: a key (a [`FromConfigValue`] type, required unless it has
/// a default, or an `Option` of one), or a group of keys ([`ConfigKeys`]) flattened in.
pub trait ConfigPart: Sized {
    /// The keys the field adds, given the one its name, doc comment and `#[key(...)]` describe.
    fn keys(declared: KeySpec) -> Vec<KeySpec>;
    /// Reads the field; `key` is the field's name.
    fn read_part(view: &SectionView<'_>, key: &str) -> Result<Self, ConfigError>;
}

/// Reads `raw` as a `T` and drops it.
fn check<T: FromConfigValue>(raw: &str) -> Result<(), ValueError> {
    T::from_config_value(raw).map(drop)
}

impl<T: FromConfigValue> ConfigPart for T {
    fn keys(declared: KeySpec) -> Vec<KeySpec> {
        vec![KeySpec {
            kind: T::KIND,
            optional: false,
            typed_check: Some(check::<T>),
            ..declared
        }]
    }

    fn read_part(view: &SectionView<'_>, key: &str) -> Result<Self, ConfigError> {
        view.get(key)
    }
}

impl<T: FromConfigValue> ConfigPart for Option<T> {
    fn keys(declared: KeySpec) -> Vec<KeySpec> {
        vec![KeySpec {
            kind: T::KIND,
            optional: true,
            typed_check: Some(check::<T>),
            ..declared
        }]
    }

    fn read_part(view: &SectionView<'_>, key: &str) -> Result<Self, ConfigError> {
        view.get_opt(key)
    }
}

/// Declares a config section as a struct: each field is a key named after it, its doc comment
/// is the key's documentation, its type the key's type (`Option<T>` for a key that may be left
/// out), and `#[key(...)]` adds what the type cannot say:
///
/// - `default = "30s"`: the value when the key is absent, as it would be written in the file;
/// - `env = "VARIABLE"`: an environment variable that wins over the files (for secrets);
/// - `default_doc = "..."`: the default in words, when it is not one value;
/// - `example = "..."`: a value for `config.ini.example` when the key has no default (or one
///   other than the default, written there instead of it);
/// - `example_set = true`: the example sets that value of an optional key rather than showing
///   it commented out.
///
/// A field whose type is another declared struct without `#[section]` is a group of keys
/// flattened into the section (the listener keys of every sink).
///
/// `#[section("Pattern", ...)]` makes the struct a section; what follows the pattern are
/// [`SectionSpec`] builder calls: `plugin` (it accepts `enabled`), `instance = "main"`,
/// `example_commented`, `example_disabled`, `example_description_only`. The struct's doc
/// comment is the section's documentation.
///
/// ```
/// use std::time::Duration;
/// use switchboard_api::config::{Config, ConfigSection};
///
/// switchboard_api::config_section! {
///     /// The `remember` and `recall` commands.
///     #[section("Notes", plugin)]
///     pub struct NotesSection {
///         /// Longest note in bytes.
///         #[key(default = "200")]
///         pub max_length: usize,
///         /// How long a note is kept; unset, forever.
///         #[key(example = "30d")]
///         pub keep: Option<Duration>,
///     }
/// }
///
/// let config = Config::from_text("config.ini", "[Notes]\nmax_length = 80\n").unwrap();
/// let notes: NotesSection = config.read("Notes").unwrap();
/// assert_eq!((notes.max_length, notes.keep), (80, None));
/// assert_eq!(NotesSection::spec().keys[1].name, "max_length");
/// ```
#[macro_export]
macro_rules! config_section {
    (
        $(#[doc = $doc:literal])*
        $(#[section($pattern:literal $(, $smeta:ident $(= $sval:expr)?)* $(,)?)])?
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $fdoc:literal])*
                $(#[key($($kmeta:ident = $kval:expr),* $(,)?)])?
                $fvis:vis $field:ident : $fty:ty
            ),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq)]
        $vis struct $name {
            $(
                $(#[doc = $fdoc])*
                $fvis $field: $fty,
            )*
        }

        impl $name {
            /// The struct's doc comment: what the section (or group of keys) is for.
            #[allow(dead_code)]
            const DOC: &'static str = concat!($($doc, "\n"),*);
        }

        impl $crate::config::ConfigKeys for $name {
            fn keys() -> ::std::vec::Vec<$crate::config::KeySpec> {
                let mut keys = ::std::vec::Vec::new();
                $(
                    keys.extend(<$fty as $crate::config::ConfigPart>::keys(
                        $crate::config::KeySpec::new(
                            stringify!($field),
                            $crate::config::ValueKind::Text,
                            concat!($($fdoc, "\n"),*),
                        )
                        $($(.$kmeta($kval))*)?
                    ));
                )*
                keys
            }

            fn read(
                view: &$crate::config::SectionView<'_>,
            ) -> ::std::result::Result<Self, $crate::config::ConfigError> {
                ::std::result::Result::Ok($name {
                    $(
                        $field: <$fty as $crate::config::ConfigPart>::read_part(
                            view,
                            stringify!($field),
                        )?,
                    )*
                })
            }
        }

        impl $crate::config::ConfigPart for $name {
            fn keys(_declared: $crate::config::KeySpec) -> ::std::vec::Vec<$crate::config::KeySpec> {
                <$name as $crate::config::ConfigKeys>::keys()
            }

            fn read_part(
                view: &$crate::config::SectionView<'_>,
                _key: &str,
            ) -> ::std::result::Result<Self, $crate::config::ConfigError> {
                <$name as $crate::config::ConfigKeys>::read(view)
            }
        }

        $(
            impl $crate::config::ConfigSection for $name {
                fn spec() -> &'static $crate::config::SectionSpec {
                    static SPEC: ::std::sync::OnceLock<$crate::config::SectionSpec> =
                        ::std::sync::OnceLock::new();
                    SPEC.get_or_init(|| {
                        $crate::config::SectionSpec::new(
                            $pattern,
                            $name::DOC,
                            <$name as $crate::config::ConfigKeys>::keys(),
                        )
                        $(.$smeta($($sval)?))*
                    })
                }
            }
        )?
    };
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::{Config, ConfigSection, Origin, ValueKind};

    crate::config_section! {
        /// Shared keys.
        pub struct Shared {
            /// A port.
            pub port: u16,
        }
    }

    crate::config_section! {
        /// A test section.
        ///
        /// Second paragraph.
        #[section("Test.*", plugin, instance = "one")]
        pub struct TestSection {
            /// The shared keys.
            pub shared: Shared,
            /// How long.
            #[key(default = "5s")]
            pub wait: Duration,
            /// A secret.
            #[key(env = "SWITCHBOARD_TEST_SECTION_SECRET", example = "s3cret")]
            pub secret: Option<String>,
        }
    }

    #[test]
    fn the_struct_is_the_spec_with_groups_flattened() {
        let spec = TestSection::spec();
        assert_eq!(spec.pattern, "Test.*");
        assert_eq!(spec.doc, " A test section.\n\n Second paragraph.\n");
        assert_eq!(spec.instance, Some("one"));
        let keys: Vec<(&str, ValueKind, bool, bool)> = spec
            .keys
            .iter()
            .map(|k| (k.name, k.kind, k.optional, k.is_required()))
            .collect();
        assert_eq!(
            keys,
            [
                ("enabled", ValueKind::Bool, true, false),
                ("port", ValueKind::Integer, false, true),
                ("wait", ValueKind::Duration, false, false),
                ("secret", ValueKind::Text, true, false),
            ]
        );
        assert_eq!(spec.keys[1].doc, " A port.\n");
        assert_eq!(spec.keys[3].env, Some("SWITCHBOARD_TEST_SECTION_SECRET"));
        assert_eq!(spec.keys[3].example, Some("s3cret"));
    }

    #[test]
    fn reading_gives_values_defaults_and_a_required_key_is_an_error_at_the_section() {
        let config =
            Config::from_text("config.ini", "[Test.one]\nport = 8080\n[Test.two]\n").unwrap();
        let one: TestSection = config.read("Test.one").unwrap();
        assert_eq!(one.shared.port, 8080);
        assert_eq!(one.wait, Duration::from_secs(5));
        assert_eq!(one.secret, None);
        let err = config.read::<TestSection>("Test.two").unwrap_err();
        assert_eq!(
            err.to_string(),
            "config.ini:3: [Test.two] port: this key is required"
        );
        assert_eq!(
            err.origin,
            Some(Origin::File {
                path: "config.ini".into(),
                line: 3
            })
        );
    }

    #[test]
    fn a_bad_value_names_its_line_and_validation_reads_it_as_its_type() {
        let config = Config::from_text("config.ini", "[Test.one]\nport = 70000\n").unwrap();
        let err = config.read::<TestSection>("Test.one").unwrap_err();
        assert_eq!(
            err.to_string(),
            "config.ini:2: [Test.one] port: expected a whole number in 0..=65535, found `70000`"
        );
        let errors = config.validate(std::slice::from_ref(TestSection::spec()));
        assert_eq!(errors, vec![err]);
    }
}
