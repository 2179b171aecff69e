package dev.virtiofleet.sim.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonFramerTest {
    @Test
    void splitsByBracketsOutsideStringsAcrossReads() {
        JsonFramer framer = new JsonFramer(1024);
        List<JsonFramer.Frame> frames = new ArrayList<>();
        String stream = "{\"execute\": \"x\", \"id\": \"a}\\\"{\"}\n  {\"execute\":\n\"y\", \"id\": [1, {\"b\": \"]\"}]}oops {\"z\": 1}";
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += 5) {
            frames.addAll(framer.feed(ByteBuffer.wrap(bytes, i, Math.min(5, bytes.length - i))));
        }
        assertEquals(List.of(
                new JsonFramer.Text("{\"execute\": \"x\", \"id\": \"a}\\\"{\"}"),
                new JsonFramer.Text("{\"execute\":\n\"y\", \"id\": [1, {\"b\": \"]\"}]}"),
                new JsonFramer.Text("oops"),
                new JsonFramer.Text("{\"z\": 1}")), frames);
    }

    @Test
    void anOversizedTextIsDroppedAndFramingRecovers() {
        JsonFramer framer = new JsonFramer(64);
        String big = "{\"id\": \"" + "x".repeat(200) + "\"}";
        List<JsonFramer.Frame> frames = framer.feed(ByteBuffer.wrap((big + "{\"ok\": true}").getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(new JsonFramer.Oversized(64), new JsonFramer.Text("{\"ok\": true}")), frames);
    }
}
