package io.ravine.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One line for a mistyped option or command: {@code unknown option '--optimzer' (did you mean --optimizer?)}. picocli's
 * own suggestions ({@code UnmatchedArgumentException.printSuggestions}) are several lines and match options by their
 * first two letters only; this picks the nearest name by edit distance, as git and cargo do. A flag of an earlier
 * version that was renamed when the commands got one vocabulary (README, "One vocabulary") gets its new name instead:
 * {@code --monitor-size was renamed --subset}.
 */
final class Suggestions {
    private Suggestions() {
    }

    /**
     * The flags renamed by the one vocabulary, per command (its qualified name): old name → the new one, with a hint
     * where the value changed shape too.
     */
    static final Map<String, Map<String, String>> RENAMED = Map.of(
            "ravine train", Map.of("--monitor-size", "--subset"),
            "ravine sweep lr", Map.of("--monitor-size", "--subset", "--lrs", "--lr (a comma list of rates)",
                    "--out", "--run-dir"),
            "ravine study batch-size", Map.of("--monitor-size", "--subset", "--devices", "--device (a comma list)",
                    "--out", "--run-dir", "--warmup", "--warmup-steps", "--repeats", "--timed-steps"),
            "ravine landscape", Map.of("--from", "--checkpoint (--checkpoint FROM,TO)",
                    "--to", "--checkpoint (--checkpoint FROM,TO)"),
            "ravine toy", Map.of("--out", "--run-dir"),
            "ravine bench", Map.of("--configs", "--hidden and --batch-size (e.g. --hidden 256 --hidden 1024,1024"
                    + " --batch-size 128,1024: one case per model and batch size)", "--repeats", "--rounds",
                    "--warmup", "--warmup-steps", "--steps", "--timed-steps"));

    /** The line for an unmatched argument: what it is, where, and the nearest name if one is near enough. */
    static String unmatched(CommandLine.UnmatchedArgumentException ex) {
        return unmatched(ex, new String[0]);
    }

    /**
     * As {@link #unmatched(CommandLine.UnmatchedArgumentException)}, with the command line {@code args} as given:
     * a value after {@code train --resume} (which took the run directory before it became a switch) is explained.
     */
    static String unmatched(CommandLine.UnmatchedArgumentException ex, String[] args) {
        List<String> unmatched = ex.getUnmatched();
        if (unmatched == null || unmatched.isEmpty()) {
            return ex.getMessage();
        }
        CommandSpec spec = ex.getCommandLine().getCommandSpec();
        String arg = unmatched.get(0);
        String command = spec.qualifiedName();
        if (!arg.startsWith("-") && spec.findOption("--resume") != null && follows(args, "--resume", arg)) {
            return "--resume takes no value: continue a run with --resume --run-dir DIR (and --checkpoint NAME for"
                    + " another checkpoint than the latest), not --resume " + arg;
        }
        if (arg.startsWith("-")) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String renamed = RENAMED.getOrDefault(command, Map.of()).get(name);
            if (renamed != null && spec.findOption(name) == null) {
                return name + " was renamed " + renamed;
            }
            List<String> names = new ArrayList<>();
            for (OptionSpec o : spec.options()) {
                if (!o.hidden()) {
                    names.addAll(List.of(o.names()));
                }
            }
            return "unknown option '" + name + "' for '" + command + "'" + nearest(name, names)
                    .map(n -> " (did you mean " + n + "?)").orElse(" (" + command + " --help lists them)");
        }
        if (!spec.subcommands().isEmpty()) {
            return "unknown command '" + arg + "'" + nearest(arg, spec.subcommands().keySet())
                    .map(n -> " (did you mean " + n + "?)").orElse(" (" + command + " --help lists them)");
        }
        return "unexpected argument '" + arg + "' for '" + command + "' (it takes options only: "
                + command + " --help lists them)";
    }

    /** Whether {@code value} comes right after {@code flag} in {@code args}. */
    private static boolean follows(String[] args, String flag, String value) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(flag) && args[i + 1].equals(value)) {
                return true;
            }
        }
        return false;
    }

    /** The candidate nearest to {@code typed}, if it is within a third of its length (at least 2) edits. */
    static Optional<String> nearest(String typed, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(typed.toLowerCase(java.util.Locale.ROOT), c.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        int allowed = Math.max(2, typed.replaceFirst("^-+", "").length() / 3);
        return best != null && bestDistance <= allowed ? Optional.of(best) : Optional.empty();
    }

    /** Edits (insert, delete, substitute, swap two neighbours) from a to b: optimal string alignment distance. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
