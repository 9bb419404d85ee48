package io.ravine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Backend;
import io.ravine.backend.cpu.CpuBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** KernelBench's harness on the CPU backend: it validates before timing and prints three well-formed tables. */
class KernelBenchTest {

    @Test
    void validatesThenPrintsTheThreeTables() {
        String report = new KernelBench(CpuBackend.f32(), 1 << 16, 1 << 14).run();
        assertTrue(report.contains("Validated 16 operations") && report.contains("all within tolerance"), report);
        List<String> tables = List.of("## Fused Adam", "## Kernel families", "## GEMM");
        for (String t : tables) {
            assertTrue(report.contains(t), t + " missing:\n" + report);
        }
        // Every table row has as many cells as its header, and every timed row has a finite, positive rate.
        String[] blocks = report.split("\n\n");
        int tableRows = 0;
        for (String block : blocks) {
            List<String> lines = block.lines().filter(l -> l.startsWith("|")).toList();
            if (lines.isEmpty()) {
                continue;
            }
            int columns = cells(lines.get(0));
            for (String l : lines) {
                assertEquals(columns, cells(l), l);
                tableRows++;
                assertTrue(!l.contains("NaN") && !l.contains("Infinity"), l);
            }
        }
        // 2 rows (copy, adam) + 16 families + 9 products (8 of the step, one square), each with header and rule.
        assertEquals(2 + 16 + 9 + 3 * 2, tableRows, report);
    }

    @Test
    void aKernelThatDisagreesWithTheReferenceIsNotTimed() {
        Backend cpu = CpuBackend.f32();
        // The same backend with axpy off by a factor of two.
        Backend broken = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("axpy")) {
                        args[0] = 2 * (double) args[0];
                    }
                    try {
                        return method.invoke(cpu, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new KernelBench(broken, 1 << 16, 1 << 14).run());
        assertTrue(e.getMessage().contains("axpy"), e.getMessage());
    }

    private static int cells(String row) {
        return (int) row.chars().filter(ch -> ch == '|').count() - 1;
    }
}
