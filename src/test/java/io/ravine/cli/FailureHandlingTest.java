package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.Callable;
import jcuda.CudaException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What the CLI does with failures that are not bad input: a CUDA error in the middle of a run and an exception
 * nobody expected. A stand-in command throws them through the same handler the real commands use.
 */
class FailureHandlingTest {
    @Command(name = "fail")
    static final class Failing implements Callable<Integer> {
        @Option(names = "--what")
        String what;

        @Option(names = "--verbose")
        boolean verbose;

        @Override
        public Integer call() {
            throw switch (what) {
                case "cuda" -> new IllegalStateException("step failed",
                        new CudaException("CUDA_ERROR_ILLEGAL_ADDRESS"));
                case "cublas" -> new CudaException("CUBLAS_STATUS_EXECUTION_FAILED");
                default -> new IllegalStateException("an invariant broke\nacross two lines");
            };
        }
    }

    private static CliTestSupport.Result run(String... args) {
        return CliTestSupport.run(new CommandLine(new Failing()), args);
    }

    @Test
    void aCudaErrorThatKillsTheContextIsOneLinePointingAtResume() {
        CliTestSupport.Result r = run("--what", "cuda");
        assertEquals(Main.EXIT_FAILED, r.status());
        assertEquals(1, r.errorLines().size(), r.err());
        String line = r.errorLines().get(0);
        assertTrue(line.startsWith("ravine: CUDA error: CUDA_ERROR_ILLEGAL_ADDRESS"), line);
        assertTrue(line.contains("--resume"), line);
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void aCublasErrorIsOneLine() {
        CliTestSupport.Result r = run("--what", "cublas");
        assertEquals(Main.EXIT_FAILED, r.status());
        assertEquals(List.of("ravine: CUDA error: CUBLAS_STATUS_EXECUTION_FAILED"), r.errorLines());
    }

    @Test
    void anUnexpectedExceptionIsOneLineWithTheTraceOnlyWhenVerbose() {
        CliTestSupport.Result quiet = run("--what", "bug");
        assertEquals(Main.EXIT_FAILED, quiet.status());
        assertEquals(List.of("ravine: internal error: java.lang.IllegalStateException: an invariant broke across two"
                + " lines (run with --verbose for the stack trace)"), quiet.errorLines());
        assertFalse(quiet.err().contains("\tat "), quiet.err());
        CliTestSupport.Result verbose = run("--what", "bug", "--verbose");
        assertEquals(Main.EXIT_FAILED, verbose.status());
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the trace");
    }
}
