package io.ravine.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A command whose {@code --help} lists its options in sections (Data, Model, Optimizer, …) under a one-line synopsis
 * ({@code ravine train [OPTIONS]}). The sections name flags only, so the options stay declared where they are (the
 * {@link TrainingFlags} mixin is shared); a flag in no section is listed under "Other options", and the standard ones
 * (help, version, --verbose, --quiet) last.
 */
interface GroupedHelp {
    /** Section heading → the flags listed under it, in order. */
    Map<String, List<String>> helpSections();

    /** Sections from heading, flags, heading, flags, …: {@code sections("Data", List.of("--data"), …)}, in order. */
    static Map<String, List<String>> sections(Object... headingsAndFlags) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < headingsAndFlags.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> flags = (List<String>) headingsAndFlags[i + 1];
            m.put((String) headingsAndFlags[i], flags);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Installs the sections and the short synopsis on {@code cli}'s usage help. */
    static void install(CommandLine cli, Map<String, List<String>> sections) {
        cli.getCommandSpec().usageMessage().abbreviateSynopsis(true);
        cli.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST_HEADING, help -> "");
        cli.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST,
                help -> render(help, sections));
    }

    private static String render(CommandLine.Help help, Map<String, List<String>> sections) {
        CommandLine.Model.CommandSpec spec = help.commandSpec();
        Map<String, List<OptionSpec>> groups = new LinkedHashMap<>();
        Set<OptionSpec> placed = new LinkedHashSet<>();
        sections.forEach((heading, flags) -> {
            List<OptionSpec> options = new ArrayList<>();
            for (String flag : flags) {
                OptionSpec o = spec.findOption(flag);
                if (o != null && !o.hidden() && placed.add(o)) {
                    options.add(o);
                }
            }
            groups.put(heading, options);
        });
        List<OptionSpec> general = new ArrayList<>();
        List<OptionSpec> other = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            if (o.hidden() || placed.contains(o)) {
                continue;
            }
            boolean standard = o.usageHelp() || o.versionHelp() || o.longestName().equals("--verbose")
                    || o.longestName().equals("--quiet");
            (standard ? general : other).add(o);
        }
        groups.put("Other options", other);
        groups.put("General", general);
        StringBuilder sb = new StringBuilder();
        groups.forEach((heading, options) -> {
            if (options.isEmpty()) {
                return;
            }
            sb.append(String.format("%n%s:%n", heading));
            // A layout per section: a layout keeps the rows it has rendered.
            sb.append(help.optionListExcludingGroups(options, help.createDefaultLayout(), null,
                    help.createDefaultParamLabelRenderer()));
        });
        return sb.toString();
    }
}
