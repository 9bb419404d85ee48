package io.ravine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ravine.InvalidInputException;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.backend.cuda.CudaUnavailableException;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What {@code --device} does when a GPU is there but cannot be used. The probe and the opener stand in for the GPU:
 * the faults they raise are the ones CudaBackend raises (kernels the device cannot run, no memory for the backend's
 * own buffers, a busy exclusive-mode GPU).
 */
class DevicesTest {
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(Devices.class);

    @BeforeEach
    void capture() {
        log.start();
        logger.addAppender(log);
        // The lines under test are INFO and WARN; the test configuration logs WARN and above.
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
    }

    @AfterEach
    void release() {
        logger.detachAppender(log);
        logger.setLevel(null);
        CpuBackend.setBlasThreads(1);
    }

    private static final Function<Boolean, Backend> KERNELS_DO_NOT_LOAD = tf32 -> {
        throw new CudaUnavailableException("the CUDA kernels in this jar (optimizers.fatbin: SASS for sm_80 and"
                + " sm_90, PTX for compute_90) cannot run on Tesla V100: CUDA_ERROR_NO_BINARY_FOR_GPU");
    };

    @Test
    void autoFallsBackToTheCpuWithOneLogLineWhenTheGpuCannotBeOpened() {
        try (Backend b = Devices.open("auto", false, 1, Optional::empty, KERNELS_DO_NOT_LOAD)) {
            assertInstanceOf(CpuBackend.class, b);
        }
        assertEquals(1, log.list.size(), "one log line: " + log.list);
        String line = log.list.get(0).getFormattedMessage();
        assertTrue(line.startsWith("using the CPU") && line.contains("CUDA_ERROR_NO_BINARY_FOR_GPU"), line);
    }

    @Test
    void autoFallsBackWhenTheGpuHasNoRoomForTheBackend() {
        Function<Boolean, Backend> full = tf32 -> {
            throw new OutOfDeviceMemoryException("NVIDIA H100 (cuda:0)", 8 << 20, 1 << 20, 80L << 30, null);
        };
        try (Backend b = Devices.open("auto", false, 1, Optional::empty, full)) {
            assertInstanceOf(CpuBackend.class, b);
        }
        assertTrue(log.list.get(0).getFormattedMessage().contains("cuda:0"));
    }

    @Test
    void autoSaysWhyWhenTheProbeFindsNoGpu() {
        try (Backend b = Devices.open("auto", false, 1, () -> Optional.of("no NVIDIA driver"), tf32 -> {
            throw new AssertionError("the opener must not be called");
        })) {
            assertInstanceOf(CpuBackend.class, b);
        }
        assertTrue(log.list.get(0).getFormattedMessage().contains("no NVIDIA driver"));
    }

    @Test
    void cudaReportsTheFaultInsteadOfFallingBack() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Devices.open("cuda", false, 1, Optional::empty, KERNELS_DO_NOT_LOAD));
        assertTrue(e.getMessage().contains("CUDA_ERROR_NO_BINARY_FOR_GPU"), e.getMessage());
    }
}
