package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * The CLI jar's own logback.xml (src/cli/, not the tests' configuration): a user's terminal gets plain lines, the
 * message alone at INFO and "warning: "/"error: " before the others, with time and logger only at DEBUG.
 */
class CliLogFormatTest {
    private static List<String> logThroughCliConfiguration(String level) throws Exception {
        LoggerContext context = new LoggerContext();
        context.putProperty("RAVINE_LOG_LEVEL", level);
        PrintStream old = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
            context.start();
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(Path.of("src", "cli", "logback.xml").toFile());
            Logger log = context.getLogger("io.ravine.backend.Devices");
            log.debug("searched /usr/lib");
            log.info("no NVIDIA driver: using the CPU");
            log.warn("the run diverged at step 12");
            log.error("checkpoint unreadable");
        } finally {
            context.stop();
            System.setErr(old);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void infoIsThePlainMessageAndWarningsAndErrorsSayWhatTheyAre() throws Exception {
        assertEquals(List.of("no NVIDIA driver: using the CPU", "warning: the run diverged at step 12",
                "error: checkpoint unreadable"), logThroughCliConfiguration("INFO"));
    }

    @Test
    void debugAddsTimeAndLoggerToItsOwnLinesOnly() throws Exception {
        List<String> lines = logThroughCliConfiguration("DEBUG");
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} DEBUG Devices - searched /usr/lib"), lines.get(0));
        assertEquals(List.of("no NVIDIA driver: using the CPU", "warning: the run diverged at step 12",
                "error: checkpoint unreadable"), lines.subList(1, 4));
    }

    @Test
    void warnLevelKeepsOnlyWarningsAndErrors() throws Exception {
        assertEquals(List.of("warning: the run diverged at step 12", "error: checkpoint unreadable"),
                logThroughCliConfiguration("WARN"));
    }
}
