// Package sshtest is an in-process SSH server for the tests: it runs exec requests with
// /bin/sh, accepts only the environment names it is told to (like OpenSSH's AcceptEnv),
// and forwards direct-tcpip channels so it can serve as a jump host.
package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"
)

type Server struct {
	Addr       string
	HostKey    ssh.PublicKey
	ClientKey  string // OpenSSH PEM of the one key the server accepts
	Tunnels    atomic.Int32
	acceptEnv  func(string) bool
	mu         sync.Mutex
	envSeen    []string
	listener   net.Listener
	config     *ssh.ServerConfig
	clientAuth ssh.PublicKey
}

// NewKey returns a fresh ed25519 signer and its private key in OpenSSH PEM form.
func NewKey(t testing.TB) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return signer, string(pem.EncodeToMemory(block))
}

// AuthorizedKey is the authorized_keys line of a public key, as connection.hostKey takes it.
func AuthorizedKey(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// Start serves on a free loopback port until the test ends.
func Start(t testing.TB, acceptEnv func(string) bool) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(t, acceptEnv)
	s.Serve(t, l)
	return s
}

// New prepares a server whose Addr is reserved but not yet listening, to test retries.
func New(t testing.TB, acceptEnv func(string) bool) *Server {
	t.Helper()
	hostSigner, _ := NewKey(t)
	clientSigner, clientPEM := NewKey(t)
	s := &Server{HostKey: hostSigner.PublicKey(), ClientKey: clientPEM, acceptEnv: acceptEnv,
		clientAuth: clientSigner.PublicKey()}
	s.config = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if string(k.Marshal()) == string(s.clientAuth.Marshal()) {
				return nil, nil
			}
			return nil, io.EOF
		},
	}
	s.config.AddHostKey(hostSigner)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	l.Close()
	return s
}

// Listen starts serving on the reserved address.
func (s *Server) Listen(t testing.TB) {
	l, err := net.Listen("tcp", s.Addr)
	if err != nil {
		t.Error(err)
		return
	}
	s.Serve(t, l)
}

func (s *Server) Serve(t testing.TB, l net.Listener) {
	s.listener, s.Addr = l, l.Addr().String()
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go s.handle(conn)
		}
	}()
}

func (s *Server) Host() string { h, _, _ := net.SplitHostPort(s.Addr); return h }
func (s *Server) Port() float64 {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return float64(n)
}

// EnvSeen lists the NAME=value pairs the server accepted through setenv.
func (s *Server) EnvSeen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.envSeen...)
}

func (s *Server) handle(conn net.Conn) {
	defer conn.Close()
	_, chans, reqs, err := ssh.NewServerConn(conn, s.config)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			go s.session(nc)
		case "direct-tcpip":
			go s.tunnel(nc)
		default:
			_ = nc.Reject(ssh.UnknownChannelType, "unsupported")
		}
	}
}

func (s *Server) tunnel(nc ssh.NewChannel) {
	var target struct {
		Host       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &target); err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	conn, err := net.Dial("tcp", net.JoinHostPort(target.Host, strconv.Itoa(int(target.Port))))
	if err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		conn.Close()
		return
	}
	s.Tunnels.Add(1)
	go ssh.DiscardRequests(reqs)
	go func() { _, _ = io.Copy(ch, conn); ch.Close() }()
	_, _ = io.Copy(conn, ch)
	conn.Close()
}

func (s *Server) session(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			ok := ssh.Unmarshal(req.Payload, &kv) == nil && s.acceptEnv != nil && s.acceptEnv(kv.Name)
			if ok {
				env = append(env, kv.Name+"="+kv.Value)
				s.mu.Lock()
				s.envSeen = append(s.envSeen, kv.Name+"="+kv.Value)
				s.mu.Unlock()
			}
			_ = req.Reply(ok, nil)
		case "exec":
			var cmd struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &cmd); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			status := run(cmd.Command, env, ch)
			_, _ = ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, status))
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

func run(command string, env []string, ch ssh.Channel) uint32 {
	c := exec.Command("/bin/sh", "-c", command)
	c.Env, c.Stdin, c.Stdout, c.Stderr = env, ch, ch, ch.Stderr()
	err := c.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok {
			return uint32(ws.ExitStatus())
		}
	}
	if err != nil {
		return 255
	}
	return 0
}
