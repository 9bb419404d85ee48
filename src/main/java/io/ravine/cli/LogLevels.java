package io.ravine.cli;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --quiet}'s log level: Ravine's and the root logger at ERROR for one command, then as they were (tests run many
 * commands in one JVM). Through reflection because Logback is the CLI jar's runtime dependency, not the library's
 * compile-time one; with another SLF4J binding nothing changes.
 */
final class LogLevels {
    private final List<Runnable> undo;

    private LogLevels(List<Runnable> undo) {
        this.undo = undo;
    }

    static LogLevels unchanged() {
        return new LogLevels(List.of());
    }

    static LogLevels errorsOnly() {
        List<Runnable> undo = new ArrayList<>();
        for (String name : new String[] {Logger.ROOT_LOGGER_NAME, "io.ravine"}) {
            Logger logger = LoggerFactory.getLogger(name);
            if (!logger.getClass().getName().equals("ch.qos.logback.classic.Logger")) {
                continue;
            }
            try {
                Class<?> level = Class.forName("ch.qos.logback.classic.Level", true, logger.getClass().getClassLoader());
                Method set = logger.getClass().getMethod("setLevel", level);
                Object old = logger.getClass().getMethod("getLevel").invoke(logger);
                set.invoke(logger, level.getField("ERROR").get(null));
                undo.add(() -> {
                    try {
                        set.invoke(logger, old);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                });
            } catch (ReflectiveOperationException | RuntimeException e) {
                // Another Logback than the one compiled against: --quiet still turns the progress line off.
            }
        }
        return new LogLevels(undo);
    }

    void restore() {
        undo.forEach(Runnable::run);
    }
}
