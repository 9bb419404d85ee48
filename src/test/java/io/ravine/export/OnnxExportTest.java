package io.ravine.export;

import static io.ravine.export.ProtoReader.all;
import static io.ravine.export.ProtoReader.message;
import static io.ravine.export.ProtoReader.messages;
import static io.ravine.export.ProtoReader.number;
import static io.ravine.export.ProtoReader.string;
import static io.ravine.export.ProtoReader.strings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX messages {@link OnnxExport} builds: small ones against bytes derived by hand from onnx.proto's field
 * numbers and the wire format, and whole models read back field by field with {@link ProtoReader}. (That ONNX Runtime
 * loads and runs them is {@link ExportAgreementTest}'s part.)
 */
class OnnxExportTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void aGemmNodeByHand() {
        // NodeProto: input (1) x, w, b; output (2) y; name (3) g; op_type (4) "Gemm"; attribute (5) =
        // AttributeProto {name (1) "transB", i (3) 1, type (20) INT = 2}: 0A 06 "transB" 18 01 A0 01 02, 13 bytes.
        assertArrayEquals(hex("0a 01 78 0a 01 77 0a 01 62 12 01 79 1a 01 67 22 04 47 65 6d 6d"
                + " 2a 0d 0a 06 74 72 61 6e 73 42 18 01 a0 01 02"),
                OnnxExport.node("g", "Gemm", List.of("x", "w", "b"), "y", "transB", 1).toByteArray());
        // Without an attribute: no field 5.
        assertArrayEquals(hex("0a 01 7a 12 01 68 1a 01 72 22 04 52 65 6c 75"),
                OnnxExport.node("r", "Relu", List.of("z"), "h", null, 0).toByteArray());
    }

    @Test
    void aFloatTensorByHand() {
        // TensorProto: dims (1) 2; data_type (2) FLOAT = 1; name (8, key 0x42) "t"; raw_data (9, key 0x4A) 1.0f and
        // -2.0f little-endian: 00 00 80 3F, 00 00 00 C0.
        assertArrayEquals(hex("08 02 10 01 42 01 74 4a 08 00 00 80 3f 00 00 00 c0"),
                OnnxExport.tensor("t", new long[] {2}, new float[] {1.0f, -2.0f}).toByteArray());
        // A matrix: one dims field per dimension, [3, 1].
        assertArrayEquals(hex("08 03 08 01 10 01 42 01 6d 4a 0c 00 00 00 00 00 00 80 3f 00 00 00 40"),
                OnnxExport.tensor("m", new long[] {3, 1}, new float[] {0f, 1f, 2f}).toByteArray());
    }

    @Test
    void aValueInfoWithASymbolicBatchByHand() {
        // ValueInfoProto {name (1) "x", type (2) TypeProto {tensor_type (1) {elem_type (1) 1, shape (2)
        // TensorShapeProto {dim (1) {dim_param (2) "N"}, dim (1) {dim_value (1) 3}}}}}:
        // shape = 0A 03 12 01 4E  0A 02 08 03 (9 bytes); tensor_type = 08 01 12 09 <shape> (13); type = 0A 0D <..> (15).
        assertArrayEquals(hex("0a 01 78 12 0f 0a 0d 08 01 12 09 0a 03 12 01 4e 0a 02 08 03"),
                OnnxExport.valueInfo("x", 3).toByteArray());
    }

    private static ExportSpec spec(int[] widths, Activation act, LossKind loss, boolean normalized) {
        int p = 0;
        for (int k = 0; k + 1 < widths.length; k++) {
            p += widths[k] * widths[k + 1] + widths[k + 1];
        }
        float[] theta = new float[p];
        for (int i = 0; i < p; i++) {
            theta[i] = (float) Math.sin(i + 1.0);
        }
        float[] mean = null;
        float[] std = null;
        if (normalized) {
            mean = new float[widths[0]];
            std = new float[widths[0]];
            for (int j = 0; j < widths[0]; j++) {
                mean[j] = j - 1.5f;
                std[j] = 0.5f + j;
            }
        }
        return new ExportSpec(widths, act, loss, theta, mean, std);
    }

    private static float[] floats(byte[] raw) {
        float[] v = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    @Test
    void aNormalizedClassifierReadsBackFieldByField() {
        ExportSpec spec = spec(new int[] {3, 4, 2}, Activation.TANH, LossKind.SOFTMAX_CE, true);
        Map<Integer, List<Object>> model = ProtoReader.parse(OnnxExport.toBytes(spec));
        assertEquals(8, number(model, 1), "ir_version");
        assertEquals("ravine", string(model, 2), "producer_name");
        Map<Integer, List<Object>> opset = message(model, 8);
        assertEquals(17, number(opset, 2), "opset_import.version");
        assertFalse(opset.containsKey(1), "the default domain (ai.onnx) is the absent domain field");
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        for (Map<Integer, List<Object>> e : messages(model, 14)) {
            meta.put(string(e, 1), string(e, 2));
        }
        assertEquals("3-4-2 tanh softmax-ce", meta.get("architecture"));
        assertEquals(OnnxExport.FORMAT, meta.get("format"));
        assertTrue(meta.get("normalization").startsWith("zscore"), meta.toString());

        Map<Integer, List<Object>> graph = message(model, 7);
        List<Map<Integer, List<Object>>> nodes = messages(graph, 1);
        assertEquals(List.of("Sub", "Div", "Gemm", "Tanh", "Gemm", "Softmax"),
                nodes.stream().map(n -> string(n, 4)).toList());
        assertEquals(List.of("features", "normalizer.mean"), strings(nodes.get(0), 1));
        assertEquals(List.of("centred", "normalizer.std"), strings(nodes.get(1), 1));
        assertEquals(List.of("normalized", "layers.0.weight", "layers.0.bias"), strings(nodes.get(2), 1));
        assertEquals(List.of("layers.0.z"), strings(nodes.get(3), 1));
        assertEquals(List.of("layers.0.h", "layers.1.weight", "layers.1.bias"), strings(nodes.get(4), 1));
        assertEquals(List.of("logits"), strings(nodes.get(4), 2));
        assertEquals(List.of("probabilities"), strings(nodes.get(5), 2));
        for (int i : new int[] {2, 4}) {
            Map<Integer, List<Object>> attr = message(nodes.get(i), 5);
            assertEquals("transB", string(attr, 1));
            assertEquals(1, number(attr, 3));
            assertEquals(2, number(attr, 20), "type INT");
        }
        Map<Integer, List<Object>> axis = message(nodes.get(5), 5);
        assertEquals("axis", string(axis, 1));
        assertEquals(1, number(axis, 3));

        // Initializers: the statistics as given, the weights in [out, in] (no fold), the biases.
        Map<String, Map<Integer, List<Object>>> init = new java.util.LinkedHashMap<>();
        for (Map<Integer, List<Object>> t : messages(graph, 5)) {
            init.put(string(t, 8), t);
            assertEquals(1, number(t, 2), "FLOAT");
        }
        assertEquals(List.of("normalizer.mean", "normalizer.std", "layers.0.weight", "layers.0.bias",
                "layers.1.weight", "layers.1.bias"), List.copyOf(init.keySet()));
        assertEquals(List.of(4L, 3L), all(init.get("layers.0.weight"), 1));
        assertEquals(List.of(2L), all(init.get("layers.1.bias"), 1));
        assertArrayEquals(spec.weight(0), floats((byte[]) all(init.get("layers.0.weight"), 9).get(0)));
        assertArrayEquals(spec.bias(1), floats((byte[]) all(init.get("layers.1.bias"), 9).get(0)));
        assertArrayEquals(spec.mean(), floats((byte[]) all(init.get("normalizer.mean"), 9).get(0)));
        assertArrayEquals(spec.std(), floats((byte[]) all(init.get("normalizer.std"), 9).get(0)));

        // Input: features [N, 3]; outputs logits and probabilities [N, 2].
        assertEquals(List.of("features"), messages(graph, 11).stream().map(v -> string(v, 1)).toList());
        assertEquals(List.of("logits", "probabilities"), messages(graph, 12).stream().map(v -> string(v, 1)).toList());
        List<Map<Integer, List<Object>>> dims = messages(message(message(message(messages(graph, 11).get(0), 2), 1),
                2), 1);
        assertEquals("N", string(dims.get(0), 2));
        assertEquals(3, number(dims.get(1), 1));
    }

    @Test
    void aLinearRegressionWithoutNormalizationIsOneGemm() {
        ExportSpec spec = spec(new int[] {5, 2}, Activation.RELU, LossKind.MSE, false);
        Map<Integer, List<Object>> graph = message(ProtoReader.parse(OnnxExport.toBytes(spec)), 7);
        List<Map<Integer, List<Object>>> nodes = messages(graph, 1);
        assertEquals(List.of("Gemm"), nodes.stream().map(n -> string(n, 4)).toList());
        assertEquals(List.of("features", "layers.0.weight", "layers.0.bias"), strings(nodes.get(0), 1));
        assertEquals(List.of("outputs"), messages(graph, 12).stream().map(v -> string(v, 1)).toList());
        assertEquals(2, messages(graph, 5).size(), "weight and bias only");
    }

    @Test
    void everyHiddenActivationAndTheLogisticOutput() {
        for (Activation a : Activation.values()) {
            ExportSpec spec = spec(new int[] {2, 3, 3, 1}, a, LossKind.LOGISTIC_CE, false);
            List<String> ops = messages(message(ProtoReader.parse(OnnxExport.toBytes(spec)), 7), 1).stream()
                    .map(n -> string(n, 4)).toList();
            String op = switch (a) {
                case IDENTITY -> "Identity";
                case LOGISTIC -> "Sigmoid";
                case TANH -> "Tanh";
                case RELU -> "Relu";
            };
            assertEquals(List.of("Gemm", op, "Gemm", op, "Gemm", "Sigmoid"), ops, a.name());
        }
    }

    @Test
    void theOnnxCheckerAcceptsEveryShape(@TempDir Path dir) throws Exception {
        // The onnx package's own checker (full check, strict shape inference) where Debian's python3-onnx is
        // installed; .ci/run does not install it, so there this is skipped with one message.
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3");
        Process probe = new ProcessBuilder(python.toString(), "-c", "import onnx").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "the onnx Python package is not installed (apt-get install python3-onnx)");
        List<String> cmd = new ArrayList<>(List.of(python.toString(), "-c", "import sys, onnx\n"
                + "for f in sys.argv[1:]:\n"
                + "    m = onnx.load(f)\n"
                + "    onnx.checker.check_model(m, full_check=True)\n"
                + "    onnx.shape_inference.infer_shapes(m, strict_mode=True)\n"
                + "print('checked', len(sys.argv) - 1)\n"));
        int i = 0;
        for (LossKind loss : LossKind.values()) {
            for (Activation a : Activation.values()) {
                for (int[] widths : new int[][] {{4, 3}, {4, 5, 2}, {4, 5, 3, 1}}) {
                    Path f = dir.resolve("m" + i++ + ".onnx");
                    Files.write(f, OnnxExport.toBytes(spec(widths, a, loss, i % 2 == 0)));
                    cmd.add(f.toString());
                }
            }
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("checked " + i), out);
    }
}
