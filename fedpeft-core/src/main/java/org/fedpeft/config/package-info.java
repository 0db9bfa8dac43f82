/**
 * Config files and values: {@link org.fedpeft.config.Toml} reads TOML (with tomlj) into a flat
 * {@link org.fedpeft.config.ConfigSource}; a {@link org.fedpeft.config.ConfigSchema} declares keys
 * (name, type, default, check, meaning), types and checks values into {@link
 * org.fedpeft.config.ConfigValues}, reads string options, and generates the Markdown tables of
 * docs/config.md; {@link org.fedpeft.config.StringValues} types values that arrive as strings. Each
 * module declares its own section schema beside its code (for example {@code
 * org.fedpeft.privacy.PrivacySection}); {@code org.fedpeft.run.SimulationConfig} composes them.
 */
package org.fedpeft.config;
