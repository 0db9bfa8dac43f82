package org.fedpeft.grpc;

import java.io.Closeable;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;
import org.bouncycastle.util.io.pem.PemObject;
import org.fedpeft.io.AtomicFiles;
import org.fedpeft.io.RunFolder;
import org.fedpeft.io.ShutdownHooks;

/**
 * Writes a small public-key infrastructure for a quick start with mutual TLS (what {@code fedpeft
 * certs} runs): a certificate authority, a server certificate for the given host names and IP
 * addresses, and one client certificate per node name (the common name is the node's identity on
 * the server). Keys are ECDSA P-256, signatures SHA-256 with ECDSA, certificates X.509 v3 in PEM,
 * private keys unencrypted PKCS#8 PEM readable by the owner only (where the file system has POSIX
 * permissions).
 *
 * <p>Files in the folder: {@value #CA_CERT}, {@value #CA_KEY}, {@value #SERVER_CERT}, {@value
 * #SERVER_KEY}, {@code client-NAME.crt} and {@code client-NAME.key}. Existing files are never
 * overwritten: a folder that already holds a CA gets new certificates signed by that CA (so clients
 * can be added later, unless it has expired; a new certificate never outlives its CA: its validity
 * ends with the CA's if that comes first, see {@link Result#cappedAt}), and a certificate that
 * exists is kept if that CA signed it and it is valid now (one of another CA, or of a CA whose
 * files were removed, or one that has expired, is refused, naming it). A call holds the folder's
 * lock ({@value #LOCK_FILE}, removed when it ends) from its first check to its last file; a second
 * call on the folder meanwhile is refused, naming the folder and the process holding it, and writes
 * nothing. A call writes all its files or none: every check and signature comes first, each file is
 * written atomically, and a failure while writing, or the process's end (Ctrl-C, SIGTERM) before
 * the last file is written, removes the files the call wrote and the folders it made.
 *
 * <p>Extensions: the CA has {@code basicConstraints CA:true} and {@code keyCertSign, cRLSign}; the
 * others have {@code CA:false}, {@code digitalSignature}, the extended key usage {@code serverAuth}
 * or {@code clientAuth}, subject and authority key identifiers, and the server's subject
 * alternative names (DNS names and IP addresses), which clients check against the address they
 * dial.
 *
 * <p>A node certificate ({@link #write(Path, List, List, Map)}) is a client certificate whose
 * common name is the node's name and whose subject alternative names list, as URIs {@value
 * Certificates#HOSTED_CLIENT_URI}{@code ID}, the clients of the population the node may speak for:
 * one process, one certificate, many clients.
 */
public final class CertificateGenerator {

  /** The CA certificate. */
  public static final String CA_CERT = "ca.crt";

  /** The CA's private key (keep it off the nodes). */
  public static final String CA_KEY = "ca.key";

  /** The server certificate. */
  public static final String SERVER_CERT = "server.crt";

  /** The server's private key. */
  public static final String SERVER_KEY = "server.key";

  /**
   * The lock file a call holds in the folder while it checks, signs and writes ({@link
   * RunFolder#lockWrites}); it is removed when the call ends.
   */
  public static final String LOCK_FILE = ".certs.lock";

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern DNS =
      Pattern.compile(
          "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");

  /**
   * What {@link #write} did.
   *
   * @param cappedAt the end of validity of the new certificates if the folder's CA expires before
   *     the validity asked for would end (they end with it: a certificate is useless once its CA
   *     has expired), otherwise null
   */
  public record Result(List<Path> written, List<Path> kept, Instant cappedAt) {}

  /** What a call of {@link #write} reports as it goes, for a progress display. */
  @FunctionalInterface
  public interface Progress {
    /**
     * {@code done} of {@code total} steps of {@code phase} are done: "signing" counts the
     * certificates checked or made (the server's, each client's, each node's), "writing" the files
     * written.
     */
    void step(String phase, int done, int total);
  }

  private final Duration validity;
  private final SecureRandom random = new SecureRandom();
  private Progress progress = (phase, done, total) -> {};
  private boolean keepServerNames;

  /**
   * @param validity how long the new certificates are valid, from one hour ago (clock skew)
   */
  public CertificateGenerator(Duration validity) {
    Objects.requireNonNull(validity, "validity");
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive, got " + validity);
    }
    Instant now = Instant.now();
    if (validity.compareTo(Duration.between(now, LAST_NOT_AFTER)) > 0) {
      throw new IllegalArgumentException(
          "a validity of "
              + validity.toDays()
              + " days would end after "
              + LAST_NOT_AFTER
              + ", the last time a certificate can carry; at most "
              + Duration.between(now, LAST_NOT_AFTER).toDays()
              + " days from now");
    }
    this.validity = validity;
  }

  /** Reports the progress of each later {@link #write} to {@code progress}; returns this. */
  public CertificateGenerator withProgress(Progress progress) {
    this.progress = Objects.requireNonNull(progress, "progress");
    return this;
  }

  /**
   * Makes each later {@link #write} keep the folder's server certificate with the names it has: the
   * server names given then name only a new one. The certificate is read under the folder's lock,
   * so a call that wrote it just before this one is kept too; returns this.
   */
  public CertificateGenerator keepingServerNames() {
    this.keepServerNames = true;
    return this;
  }

  /** The latest end of validity X.509 can express (GeneralizedTime has four year digits). */
  public static final Instant LAST_NOT_AFTER = Instant.parse("9999-12-31T23:59:59Z");

  /** The client certificate's file name. */
  public static String clientCertName(String node) {
    return "client-" + node + ".crt";
  }

  /** The client key's file name. */
  public static String clientKeyName(String node) {
    return "client-" + node + ".key";
  }

  /**
   * Writes the missing files.
   *
   * @param dir the folder (created if missing)
   * @param serverNames the DNS names and IP addresses the server is reached at, at least one
   * @param clients node names, distinct (see {@link FederationServer#NODE_NAME})
   * @throws IllegalArgumentException naming a bad server name or node name
   * @throws org.fedpeft.io.RunFolderException naming the folder and the process if another call
   *     holds the folder's lock ({@value #LOCK_FILE})
   */
  public Result write(Path dir, List<String> serverNames, List<String> clients)
      throws IOException, GeneralSecurityException {
    return write(dir, serverNames, clients, Map.of());
  }

  /**
   * Writes the missing files, with node certificates too.
   *
   * @param dir the folder (created if missing)
   * @param serverNames the DNS names and IP addresses the server is reached at, at least one
   * @param clients node names, distinct (see {@link FederationServer#NODE_NAME})
   * @param nodes for each node certificate ({@code client-NAME.crt}, common name NAME), the client
   *     ids it may speak for; a node certificate that exists is kept, and must name the same
   *     clients
   * @throws IllegalArgumentException naming a bad server name, node name or client id
   * @throws org.fedpeft.io.RunFolderException naming the folder and the process if another call
   *     holds the folder's lock ({@value #LOCK_FILE})
   */
  public Result write(
      Path dir, List<String> serverNames, List<String> clients, Map<String, List<String>> nodes)
      throws IOException, GeneralSecurityException {
    List<String> all = new ArrayList<>(clients);
    all.addAll(nodes.keySet());
    for (List<String> hosted : nodes.values()) {
      if (hosted.isEmpty()) {
        throw new IllegalArgumentException("a node certificate must name the clients it hosts");
      }
      for (String c : hosted) {
        String problem = FederationServer.nodeNameProblem("client id", c);
        if (problem != null) {
          throw new IllegalArgumentException(problem);
        }
      }
    }
    if (serverNames.isEmpty()) {
      throw new IllegalArgumentException("at least one server name or address is required");
    }
    for (String s : serverNames) {
      String problem = serverNameProblem(s);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
    if (new LinkedHashSet<>(all).size() != all.size()) {
      throw new IllegalArgumentException("client names repeat: " + all);
    }
    for (String c : all) {
      String problem = FederationServer.nodeNameProblem("client name", c);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
    // The folder is locked for the whole call, so that two calls on it cannot mix their files;
    // from the folder's creation on, a failure or the process's end removes what the call made.
    Undo undo = new Undo(AtomicFiles.missingAncestors(dir.toAbsolutePath().resolve(CA_CERT)));
    Thread hook = new Thread(undo::onShutdown, "fedpeft-certs-undo");
    boolean hooked = ShutdownHooks.add(hook);
    onHookAdded.accept(hook);
    Closeable lock = null;
    try {
      synchronized (undo) {
        undo.refuseIfShutDown();
        Files.createDirectories(dir);
        lock = RunFolder.lockWrites(dir, LOCK_FILE, "certs");
        undo.lockFile = dir.resolve(LOCK_FILE);
      }
      return signAndWrite(dir, serverNames, clients, nodes, undo);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      undo.undo(e);
      throw e;
    } finally {
      if (lock != null) {
        lock.close();
      }
      if (hooked) {
        // false when shutting down: the hook removes the files, so a call cut short writes none
        ShutdownHooks.remove(hook);
      }
    }
  }

  /**
   * The body of {@link #write(Path, List, List, Map)} once the folder exists and is locked: every
   * check and signature, then the files.
   */
  private Result signAndWrite(
      Path dir,
      List<String> serverNames,
      List<String> clients,
      Map<String, List<String>> nodes,
      Undo undo)
      throws IOException, GeneralSecurityException {
    // Everything is checked and made before the first file is written, so a refusal writes
    // nothing; the files are then written, and a failure while writing removes those written.
    List<Path> written = new ArrayList<>();
    List<Path> kept = new ArrayList<>();
    List<NewFile> files = new ArrayList<>();
    Path caCert = dir.resolve(CA_CERT);
    Path caKey = dir.resolve(CA_KEY);
    X509Certificate ca;
    PrivateKey caPrivate;
    boolean newCa;
    if (present(caCert) || present(caKey)) {
      if (!present(caCert) || !present(caKey)) {
        throw new IllegalArgumentException(
            dir + " holds only one of " + CA_CERT + " and " + CA_KEY + "; both or neither");
      }
      ca = readCertificate(caCert);
      requireValidNow(
          ca,
          caCert,
          "a certificate it signs now could not be used; write a new CA into another folder"
              + " (every node then needs its ca.crt and a new pair)");
      caPrivate = readPrivateKey(caKey);
      kept.add(caCert);
      kept.add(caKey);
      newCa = false;
    } else {
      newCa = true;
      KeyPair pair = newKeyPair();
      // Each CA's name carries the start of its key's SHA-256, so that two 'fedpeft certs'
      // folders' CAs, and a message naming a certificate's issuer, can be told apart.
      X500Name name =
          name(
              "fedpeft CA "
                  + java.util.HexFormat.of()
                      .formatHex(
                          org.fedpeft.io.Sha256.newDigest().digest(pair.getPublic().getEncoded()),
                          0,
                          4));
      X509v3CertificateBuilder b = builder(name, name, pair.getPublic(), LAST_NOT_AFTER);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      ca = sign(b, pair.getPrivate());
      caPrivate = pair.getPrivate();
      files.add(new NewFile(caKey, pem(new JcaPKCS8Generator(caPrivate, null).generate()), true));
      files.add(new NewFile(caCert, pem(ca), false));
      written.add(caCert);
      written.add(caKey);
    }
    Issuer issuer = new Issuer(ca, caPrivate, newCa, caCert, files, written, kept, new Instant[1]);
    int certificates = 1 + clients.size() + nodes.size();
    int signed = 0;
    Path serverCert = dir.resolve(SERVER_CERT);
    List<String> names =
        keepServerNames && present(serverCert)
            ? Certificates.alternativeNames(readCertificate(serverCert))
            : serverNames;
    issue(
        serverCert,
        dir.resolve(SERVER_KEY),
        "fedpeft server",
        issuer,
        KeyPurposeId.id_kp_serverAuth,
        names.stream()
            .map(n -> new GeneralName(isIp(n) ? GeneralName.iPAddress : GeneralName.dNSName, n))
            .toList());
    progress.step("signing", ++signed, certificates);
    for (String c : clients) {
      issue(
          dir.resolve(clientCertName(c)),
          dir.resolve(clientKeyName(c)),
          c,
          issuer,
          KeyPurposeId.id_kp_clientAuth,
          List.of());
      progress.step("signing", ++signed, certificates);
    }
    for (Map.Entry<String, List<String>> node : nodes.entrySet()) {
      issue(
          dir.resolve(clientCertName(node.getKey())),
          dir.resolve(clientKeyName(node.getKey())),
          node.getKey(),
          issuer,
          KeyPurposeId.id_kp_clientAuth,
          node.getValue().stream()
              .map(
                  id ->
                      new GeneralName(
                          GeneralName.uniformResourceIdentifier,
                          Certificates.HOSTED_CLIENT_URI + id))
              .toList());
      progress.step("signing", ++signed, certificates);
    }
    writeAll(files, progress, undo);
    return new Result(List.copyOf(written), List.copyOf(kept), issuer.capped()[0]);
  }

  /**
   * Whether the folder has an entry of this name, a symbolic link counting as one even where its
   * target is missing (it is not written over).
   */
  private static boolean present(Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }

  /** A file to write: its path, its PEM text, and whether it is a private key. */
  private record NewFile(Path path, String text, boolean secret) {}

  /**
   * The CA that signs this call's certificates, and what the call collects: the files to write, the
   * paths it announces as written and those it keeps, and in {@code capped[0]} the end of validity
   * of the new certificates if the CA's end cut it short.
   */
  private record Issuer(
      X509Certificate ca,
      PrivateKey key,
      boolean isNew,
      Path caCert,
      List<NewFile> files,
      List<Path> written,
      List<Path> kept,
      Instant[] capped) {}

  /**
   * Writes the files, each atomically (private keys owner-only), none over an existing file; if one
   * fails, or the process is shut down (Ctrl-C, SIGTERM) before the last is written, those already
   * written and the folders made for them are removed again, so the folder is as it was.
   */
  private static void writeAll(List<NewFile> files, Progress progress, Undo undo)
      throws IOException {
    for (NewFile f : files) {
      int written;
      // The shutdown hook waits for the file being written, then removes every file written.
      synchronized (undo) {
        undo.refuseIfShutDown();
        if (present(f.path())) {
          throw new FileAlreadyExistsException(
              f.path().toString(), null, "appeared while this call wrote; not overwritten");
        }
        byte[] bytes = f.text().getBytes(StandardCharsets.US_ASCII);
        if (f.secret()) {
          AtomicFiles.writeOwnerOnly(f.path(), bytes);
        } else {
          AtomicFiles.write(f.path(), bytes);
        }
        undo.done().add(f.path());
        written = undo.done().size();
      }
      progress.step("writing", written, files.size());
    }
  }

  /**
   * Called with the shutdown hook of each {@link #write} once it is added (a test runs it as the
   * process's end would).
   */
  static java.util.function.Consumer<Thread> onHookAdded = hook -> {};

  /**
   * The files a {@link #write} has written, its lock file once it holds the lock, and the folders
   * it may have made (deepest first), to remove on failure or at the process's end. Its monitor is
   * held while the folder is made and locked and while a file is written.
   */
  private static final class Undo {
    private final List<Path> madeFolders;
    private final List<Path> done = new ArrayList<>();
    private boolean shutDown;
    private Path lockFile;

    Undo(List<Path> madeFolders) {
      this.madeFolders = madeFolders;
    }

    /** The files written so far. */
    synchronized List<Path> done() {
      return done;
    }

    /** Refuses to go on once the process's end has removed the files. */
    synchronized void refuseIfShutDown() throws IOException {
      if (shutDown) {
        throw new java.io.InterruptedIOException(
            "the process is shutting down: the files this call wrote were removed");
      }
    }

    /** The shutdown hook: removes what was written, and lets no more be written. */
    synchronized void onShutdown() {
      shutDown = true;
      undo(null);
    }

    /**
     * Removes the files written and the folders made (while empty); errors are added to {@code
     * failure} as suppressed, if it is not null.
     */
    synchronized void undo(Throwable failure) {
      for (Path p : done) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
          if (failure != null) {
            failure.addSuppressed(e);
          }
        }
      }
      done.clear();
      if (lockFile != null) {
        // Ours: the lock is still held, and goes when the call or the process ends.
        try {
          Files.deleteIfExists(lockFile);
        } catch (IOException | RuntimeException e) {
          if (failure != null) {
            failure.addSuppressed(e);
          }
        }
      }
      AtomicFiles.deleteEmptyFolders(madeFolders, failure);
    }
  }

  private void issue(
      Path certFile,
      Path keyFile,
      String commonName,
      Issuer issuer,
      KeyPurposeId purpose,
      List<GeneralName> altNames)
      throws IOException, GeneralSecurityException {
    X509Certificate ca = issuer.ca();
    if (present(certFile) || present(keyFile)) {
      if (!present(certFile) || !present(keyFile)) {
        throw new IllegalArgumentException(
            "only one of " + certFile + " and " + keyFile + " exists; remove it or add the other");
      }
      X509Certificate existing = readCertificate(certFile);
      List<String> have = Certificates.alternativeNames(existing);
      List<String> want = altNames.stream().map(CertificateGenerator::text).toList();
      if (!new HashSet<>(have).equals(new HashSet<>(want))) {
        throw new IllegalArgumentException(
            certFile
                + " exists and names "
                + have
                + ", not "
                + want
                + ": a certificate that exists is kept as it is; remove "
                + certFile
                + " and "
                + keyFile
                + " to issue a new pair (and give it to its owner again)");
      }
      try {
        existing.verify(ca.getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException(
            certFile
                + (issuer.isNew()
                    ? " was signed by a CA whose "
                        + CA_CERT
                        + " and "
                        + CA_KEY
                        + " are no longer in the folder, and a new CA would sign the new"
                        + " certificates: put that CA's files back, or remove "
                    : " is not signed by " + issuer.caCert() + ": remove ")
                + certFile
                + " and "
                + keyFile
                + " to issue a new pair (and give it to its owner again)",
            e);
      }
      requireValidNow(
          existing,
          certFile,
          "a certificate that exists is kept as it is; remove "
              + certFile
              + " and "
              + keyFile
              + " to issue a new pair (and give it to its owner again)");
      issuer.kept().add(certFile);
      issuer.kept().add(keyFile);
      return;
    }
    KeyPair pair = newKeyPair();
    X500Name issuerName = X500Name.getInstance(ca.getSubjectX500Principal().getEncoded());
    Instant caEnd = ca.getNotAfter().toInstant();
    X509v3CertificateBuilder b = builder(issuerName, name(commonName), pair.getPublic(), caEnd);
    // A CA this call made ends with the validity asked for (within the second it was made in).
    if (!issuer.isNew()
        && issuer.capped()[0] == null
        && Instant.now().plus(validity).isAfter(caEnd)) {
      issuer.capped()[0] = caEnd;
    }
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    b.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
    if (!altNames.isEmpty()) {
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(altNames.toArray(new GeneralName[0])));
    }
    X509Certificate cert = sign(b, issuer.key());
    issuer
        .files()
        .add(
            new NewFile(
                keyFile, pem(new JcaPKCS8Generator(pair.getPrivate(), null).generate()), true));
    issuer.files().add(new NewFile(certFile, pem(cert), false));
    issuer.written().add(certFile);
    issuer.written().add(keyFile);
  }

  /**
   * Refuses a certificate of the folder that is not valid now: {@code FILE expired on TIME: what},
   * or {@code FILE is not valid before TIME (is this machine's clock right?)}.
   */
  private static void requireValidNow(X509Certificate c, Path file, String whatIfExpired) {
    try {
      c.checkValidity();
    } catch (CertificateExpiredException e) {
      throw new IllegalArgumentException(
          file + " expired on " + c.getNotAfter().toInstant() + ": " + whatIfExpired, e);
    } catch (CertificateNotYetValidException e) {
      throw new IllegalArgumentException(
          file
              + " is not valid before "
              + c.getNotBefore().toInstant()
              + " (is this machine's clock right?)",
          e);
    }
  }

  /** A subject alternative name as {@link Certificates#alternativeNames} writes it. */
  private static String text(GeneralName n) {
    return switch (n.getTagNo()) {
      case GeneralName.iPAddress -> {
        try {
          yield InetAddress.getByAddress(ASN1OctetString.getInstance(n.getName()).getOctets())
              .getHostAddress();
        } catch (UnknownHostException e) {
          throw new IllegalArgumentException("not an IP address: " + n, e);
        }
      }
      case GeneralName.uniformResourceIdentifier -> Certificates.uriName(n.getName().toString());
      default -> n.getName().toString();
    };
  }

  /**
   * What is wrong with a name for the server certificate (an IP address, or a DNS name with {@code
   * *.} allowed in front), or null if nothing. Text shaped like an IP address (four dot-separated
   * numbers, or anything with a colon) must be a valid IPv4 or IPv6 address.
   */
  public static String serverNameProblem(String name) {
    if (isIp(name)) {
      return IPAddress.isValid(name)
          ? null
          : "server name '" + name + "' is not a valid IP address";
    }
    return DNS.matcher(name).matches()
        ? null
        : "server name '" + name + "' is neither an IP address nor a DNS name";
  }

  private static boolean isIp(String s) {
    return IPV4.matcher(s).matches() || s.contains(":");
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "fedpeft")
        .addRDN(BCStyle.CN, commonName)
        .build();
  }

  /**
   * A certificate valid from an hour ago (clock skew) for {@link #validity}, but not after {@code
   * notAfterAtMost} (its CA's end).
   */
  private X509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, PublicKey key, Instant notAfterAtMost) {
    Instant now = Instant.now();
    Instant end = now.plus(validity);
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(127, random).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofHours(1))),
        Date.from(end.isAfter(notAfterAtMost) ? notAfterAtMost : end),
        subject,
        key);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign a certificate: " + e.getMessage(), e);
    }
  }

  private KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    return g.generateKeyPair();
  }

  private static String pem(Object object) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(text)) {
      if (object instanceof PemObject p) {
        w.writeObject(p);
      } else {
        w.writeObject(object);
      }
    }
    return text.toString();
  }

  /**
   * Reads the first certificate of a PEM file.
   *
   * @throws IllegalArgumentException naming the file if it does not start with a readable PEM
   *     certificate
   * @throws IOException if the file cannot be read
   */
  public static X509Certificate readCertificate(Path file) throws IOException {
    Object o = readPem(file, "a PEM certificate (BEGIN CERTIFICATE)");
    if (!(o instanceof X509CertificateHolder h)) {
      throw new IllegalArgumentException(
          file + " does not start with a PEM certificate (BEGIN CERTIFICATE)");
    }
    try {
      return new JcaX509CertificateConverter().getCertificate(h);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(file + " holds an unreadable certificate: " + e, e);
    }
  }

  /**
   * Reads an unencrypted PKCS#8 private key from a PEM file.
   *
   * @throws IllegalArgumentException naming the file if it does not hold one
   * @throws IOException if the file cannot be read
   */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    String wanted = "an unencrypted PKCS#8 private key (BEGIN PRIVATE KEY)";
    Object o = readPem(file, wanted);
    if (!(o instanceof PrivateKeyInfo info)) {
      throw new IllegalArgumentException(file + " does not hold " + wanted);
    }
    try {
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + " holds an unreadable private key: " + e, e);
    }
  }

  /** The first PEM object of a file; text that is not PEM is bad input naming the file. */
  private static Object readPem(Path file, String wanted) throws IOException {
    String text = Files.readString(file, StandardCharsets.ISO_8859_1);
    try (PEMParser p = new PEMParser(new StringReader(text))) {
      return p.readObject();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          file + " is not readable PEM (" + e.getMessage() + "); it should hold " + wanted, e);
    }
  }
}
