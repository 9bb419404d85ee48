package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CudaBackend.record()'s state: recording exactly while a capture is open, whatever fails. The driver calls are
 * stand-ins that log or throw. Runs without a GPU.
 */
class CaptureStateTest {
    private final CaptureState state = new CaptureState();
    private final List<String> calls = new ArrayList<>();

    private Runnable log(String name) {
        return () -> calls.add(name);
    }

    @Test
    void aFailedBeginLeavesTheBackendUsable() {
        RuntimeException begin = new RuntimeException("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED");
        RuntimeException e = assertThrows(RuntimeException.class, () -> state.capture(() -> {
            throw begin;
        }, log("body"), () -> "graph", log("abort")));
        assertSame(begin, e);
        assertFalse(state.recording());
        assertEquals(List.of(), calls, "neither body nor abort runs without a capture");
        state.requireNotRecording("sum");  // does not throw
    }

    @Test
    void theBodyRunsWhileRecordingAndSynchronizingOpsAreRefusedThere() {
        String graph = state.capture(log("begin"), () -> {
            assertTrue(state.recording());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> state.requireNotRecording("synchronize"));
            assertTrue(e.getMessage().startsWith("synchronize cannot run inside record()"), e.getMessage());
            // No capture inside a capture.
            assertThrows(IllegalStateException.class, () -> state.capture(log("x"), log("x"), () -> "x", log("x")));
            calls.add("body");
        }, () -> {
            calls.add("end");
            return "graph";
        }, log("abort"));
        assertEquals("graph", graph);
        assertEquals(List.of("begin", "body", "end"), calls);
        assertFalse(state.recording());
    }

    @Test
    void aFailingBodyAbortsTheCaptureAndIsTheErrorReported() {
        IllegalStateException body = new IllegalStateException("sum cannot run inside record()");
        RuntimeException abortFailure = new RuntimeException("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> state.capture(log("begin"), () -> {
            throw body;
        }, () -> "graph", () -> {
            calls.add("abort");
            throw abortFailure;
        }));
        assertSame(body, e);
        assertSame(abortFailure, e.getSuppressed()[0]);
        assertEquals(List.of("begin", "abort"), calls);
        assertFalse(state.recording());
    }

    @Test
    void aFailingEndStillClearsTheState() {
        assertThrows(RuntimeException.class, () -> state.capture(log("begin"), log("body"), () -> {
            throw new RuntimeException("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED");
        }, log("abort")));
        assertFalse(state.recording());
        assertEquals(List.of("begin", "body"), calls);
    }
}
