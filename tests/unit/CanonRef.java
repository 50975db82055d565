// Referee for fs_schema.c: prints "<fingerprint hex>\t<canonical form>" per
// schema file with Java's org.apache.avro.SchemaNormalization (1.11.1).
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

public class CanonRef {
    public static void main(String[] args) throws Exception {
        for (String f : args) {
            String text = new String(Files.readAllBytes(Paths.get(f)), StandardCharsets.UTF_8);
            Schema s = new Schema.Parser().setValidateDefaults(false).parse(text);
            System.out.printf("%016x\t%s%n", SchemaNormalization.parsingFingerprint64(s),
                              SchemaNormalization.toParsingForm(s));
        }
    }
}
