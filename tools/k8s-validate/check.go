package main

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Options are what the manifests may rely on without containing it.
type Options struct {
	// ExternalSecrets are Secrets created outside the manifests (by an
	// operator, a secret manager or kubectl).
	ExternalSecrets []string
}

type manifests struct {
	deployments     []*appsv1.Deployment
	services        map[string]*corev1.Service
	configMaps      map[string]*corev1.ConfigMap
	secrets         map[string]bool
	hpas            []*autoscalingv2.HorizontalPodAutoscaler
	pdbs            []*policyv1.PodDisruptionBudget
	netpols         []*networkingv1.NetworkPolicy
	serviceMonitors []*monitoringv1.ServiceMonitor
}

// Check reports what does not fit together, one line per problem.
func Check(objects []Object, options Options) []string {
	m := manifests{
		services:   map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{},
		secrets:    map[string]bool{},
	}
	for _, name := range options.ExternalSecrets {
		m.secrets[name] = true
	}
	for _, o := range objects {
		switch obj := o.Obj.(type) {
		case *appsv1.Deployment:
			m.deployments = append(m.deployments, obj)
		case *corev1.Service:
			m.services[obj.Name] = obj
		case *corev1.ConfigMap:
			m.configMaps[obj.Name] = obj
		case *corev1.Secret:
			m.secrets[obj.Name] = true
		case *autoscalingv2.HorizontalPodAutoscaler:
			m.hpas = append(m.hpas, obj)
		case *policyv1.PodDisruptionBudget:
			m.pdbs = append(m.pdbs, obj)
		case *networkingv1.NetworkPolicy:
			m.netpols = append(m.netpols, obj)
		case *monitoringv1.ServiceMonitor:
			m.serviceMonitors = append(m.serviceMonitors, obj)
		}
	}
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, d := range m.deployments {
		m.checkDeployment(d, report)
	}
	for _, s := range sortedServices(m.services) {
		m.checkService(s, report)
	}
	for _, h := range m.hpas {
		m.checkHPA(h, report)
	}
	for _, p := range m.pdbs {
		m.checkPDB(p, report)
	}
	for _, n := range m.netpols {
		m.checkNetworkPolicy(n, report)
	}
	for _, s := range m.serviceMonitors {
		m.checkServiceMonitor(s, report)
	}
	return problems
}

type reporter func(format string, args ...any)

func (m manifests) checkDeployment(d *appsv1.Deployment, report reporter) {
	where := "Deployment/" + d.Name
	pod := d.Spec.Template.Spec
	if d.Spec.Selector == nil {
		report("%s: no selector", where)
	} else if selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil || !selector.Matches(labels.Set(d.Spec.Template.Labels)) {
		report("%s: selector does not match its pod template's labels", where)
	}
	podNonRoot := pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
		switch {
		case v.ConfigMap != nil:
			cm, ok := m.configMaps[v.ConfigMap.Name]
			if !ok {
				report("%s: volume %s: no ConfigMap %s", where, v.Name, v.ConfigMap.Name)
			}
			for _, item := range v.ConfigMap.Items {
				if ok && !hasKey(cm, item.Key) {
					report("%s: volume %s: ConfigMap %s has no key %s", where, v.Name, cm.Name, item.Key)
				}
			}
		case v.Secret != nil:
			if !m.secrets[v.Secret.SecretName] {
				report("%s: volume %s: no Secret %s", where, v.Name, v.Secret.SecretName)
			}
		}
	}
	for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		cw := fmt.Sprintf("%s container %s", where, c.Name)
		if c.Image == "" || strings.HasSuffix(c.Image, ":latest") || !strings.ContainsAny(lastSegment(c.Image), ":@") {
			report("%s: image %q is not pinned to a tag or digest", cw, c.Image)
		}
		for _, resource := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			request, hasRequest := c.Resources.Requests[resource]
			limit, hasLimit := c.Resources.Limits[resource]
			if !hasRequest || !hasLimit {
				report("%s: needs a %s request and limit", cw, resource)
			} else if limit.Cmp(request) < 0 {
				report("%s: %s limit is below its request", cw, resource)
			}
		}
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			report("%s: readOnlyRootFilesystem must be true", cw)
		}
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			report("%s: allowPrivilegeEscalation must be false", cw)
		}
		if !podNonRoot && (sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
			report("%s: runAsNonRoot must be true (pod or container)", cw)
		}
		if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			report("%s: must drop ALL capabilities", cw)
		}
		isInit := slices.ContainsFunc(pod.InitContainers, func(i corev1.Container) bool { return i.Name == c.Name })
		if !isInit {
			if c.LivenessProbe == nil || c.ReadinessProbe == nil {
				report("%s: needs a liveness and a readiness probe", cw)
			}
			for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
				if probe != nil {
					if port, ok := probePort(probe); ok && !containerHasPort(c, port) {
						report("%s: %s probe port %s is not a container port", cw, name, port.String())
					}
				}
			}
		}
		for _, mount := range c.VolumeMounts {
			if _, ok := volumes[mount.Name]; !ok {
				report("%s: mounts unknown volume %s", cw, mount.Name)
			}
		}
		for _, from := range c.EnvFrom {
			if from.SecretRef != nil && !m.secrets[from.SecretRef.Name] {
				report("%s: envFrom: no Secret %s", cw, from.SecretRef.Name)
			}
			if from.ConfigMapRef != nil && m.configMaps[from.ConfigMapRef.Name] == nil {
				report("%s: envFrom: no ConfigMap %s", cw, from.ConfigMapRef.Name)
			}
		}
		for _, env := range c.Env {
			m.checkEnv(cw, env, report)
		}
	}
}

func (m manifests) checkEnv(where string, env corev1.EnvVar, report reporter) {
	if from := env.ValueFrom; from != nil {
		if ref := from.SecretKeyRef; ref != nil && !m.secrets[ref.Name] {
			report("%s: %s: no Secret %s", where, env.Name, ref.Name)
		}
		if ref := from.ConfigMapKeyRef; ref != nil {
			cm, ok := m.configMaps[ref.Name]
			if !ok {
				report("%s: %s: no ConfigMap %s", where, env.Name, ref.Name)
			} else if !hasKey(cm, ref.Key) {
				report("%s: %s: ConfigMap %s has no key %s", where, env.Name, ref.Name, ref.Key)
			}
		}
		return
	}
	for _, raw := range strings.Split(env.Value, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		host := u.Hostname()
		if strings.Contains(host, ".") && !strings.Contains(host, ".svc") {
			continue // outside the cluster
		}
		service, ok := m.services[strings.SplitN(host, ".", 2)[0]]
		if !ok {
			report("%s: %s=%s names no Service of the manifests", where, env.Name, raw)
			continue
		}
		if !serviceHasPort(service, u.Port()) {
			report("%s: %s=%s: Service %s has no port %s", where, env.Name, raw, service.Name, u.Port())
		}
	}
}

func (m manifests) checkService(s *corev1.Service, report reporter) {
	where := "Service/" + s.Name
	if len(s.Spec.Selector) == 0 {
		report("%s: no selector", where)
		return
	}
	pods := m.podsMatching(labels.SelectorFromSet(s.Spec.Selector))
	if len(pods) == 0 {
		report("%s: selects no Deployment's pods", where)
		return
	}
	for _, port := range s.Spec.Ports {
		target := port.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(port.Port)
		}
		for _, d := range pods {
			if !podHasPort(d.Spec.Template.Spec, target) {
				report("%s: port %s targets %s, which Deployment/%s does not expose", where, port.Name, target.String(), d.Name)
			}
		}
	}
}

func (m manifests) checkHPA(h *autoscalingv2.HorizontalPodAutoscaler, report reporter) {
	where := "HorizontalPodAutoscaler/" + h.Name
	ref := h.Spec.ScaleTargetRef
	if ref.Kind != "Deployment" || m.deployment(ref.Name) == nil {
		report("%s: scales %s/%s, which is not in the manifests", where, ref.Kind, ref.Name)
	}
	if h.Spec.MinReplicas != nil && *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		report("%s: minReplicas %d > maxReplicas %d", where, *h.Spec.MinReplicas, h.Spec.MaxReplicas)
	}
	if len(h.Spec.Metrics) == 0 {
		report("%s: no metrics", where)
	}
}

func (m manifests) checkPDB(p *policyv1.PodDisruptionBudget, report reporter) {
	where := "PodDisruptionBudget/" + p.Name
	selector, ok := parseSelector(where, p.Spec.Selector, report)
	if !ok {
		return
	}
	pods := m.podsMatching(selector)
	if len(pods) == 0 {
		report("%s: selects no Deployment's pods", where)
	}
	if p.Spec.MinAvailable != nil && p.Spec.MinAvailable.Type == intstr.Int {
		for _, d := range pods {
			if least := m.leastReplicas(d); least <= p.Spec.MinAvailable.IntVal {
				report("%s: minAvailable %d leaves no room to evict any of Deployment/%s's %d replicas (node drains would block)", where, p.Spec.MinAvailable.IntVal, d.Name, least)
			}
		}
	}
}

func (m manifests) checkNetworkPolicy(n *networkingv1.NetworkPolicy, report reporter) {
	where := "NetworkPolicy/" + n.Name
	selector, ok := parseSelector(where, &n.Spec.PodSelector, report)
	if !ok {
		return
	}
	if len(m.podsMatching(selector)) == 0 {
		report("%s: applies to no Deployment's pods", where)
	}
	for _, rule := range n.Spec.Ingress {
		for _, peer := range rule.From {
			if peer.PodSelector == nil || peer.NamespaceSelector != nil {
				continue
			}
			peerSelector, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
			if err != nil || len(m.podsMatching(peerSelector)) == 0 {
				report("%s: an ingress rule admits pods that no Deployment runs", where)
			}
		}
	}
}

func (m manifests) checkServiceMonitor(s *monitoringv1.ServiceMonitor, report reporter) {
	where := "ServiceMonitor/" + s.Name
	selector, ok := parseSelector(where, &s.Spec.Selector, report)
	if !ok {
		return
	}
	ports := map[string]bool{}
	matched := 0
	for _, svc := range m.services {
		if selector.Matches(labels.Set(svc.Labels)) {
			matched++
			for _, p := range svc.Spec.Ports {
				ports[p.Name] = true
			}
		}
	}
	if matched == 0 {
		report("%s: selects no Service", where)
	}
	for _, e := range s.Spec.Endpoints {
		if e.Port != "" && !ports[e.Port] {
			report("%s: endpoint port %s is on none of the selected Services", where, e.Port)
		}
	}
}

func parseSelector(where string, selector *metav1.LabelSelector, report reporter) (labels.Selector, bool) {
	if selector == nil {
		report("%s: no selector", where)
		return nil, false
	}
	parsed, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		report("%s: bad selector: %v", where, err)
		return nil, false
	}
	return parsed, true
}

func (m manifests) podsMatching(selector labels.Selector) []*appsv1.Deployment {
	var found []*appsv1.Deployment
	for _, d := range m.deployments {
		if selector.Matches(labels.Set(d.Spec.Template.Labels)) {
			found = append(found, d)
		}
	}
	return found
}

func (m manifests) deployment(name string) *appsv1.Deployment {
	for _, d := range m.deployments {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// leastReplicas is how few replicas a Deployment may run: its autoscaler's
// minimum, else its replica count (default 1).
func (m manifests) leastReplicas(d *appsv1.Deployment) int32 {
	for _, h := range m.hpas {
		if h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.ScaleTargetRef.Name == d.Name {
			if h.Spec.MinReplicas != nil {
				return *h.Spec.MinReplicas
			}
			return 1
		}
	}
	if d.Spec.Replicas != nil {
		return *d.Spec.Replicas
	}
	return 1
}

func probePort(p *corev1.Probe) (intstr.IntOrString, bool) {
	switch {
	case p.HTTPGet != nil:
		return p.HTTPGet.Port, true
	case p.TCPSocket != nil:
		return p.TCPSocket.Port, true
	case p.GRPC != nil:
		return intstr.FromInt32(p.GRPC.Port), true
	}
	return intstr.IntOrString{}, false
}

func containerHasPort(c corev1.Container, port intstr.IntOrString) bool {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return true
		}
	}
	return false
}

func podHasPort(pod corev1.PodSpec, port intstr.IntOrString) bool {
	for _, c := range pod.Containers {
		if containerHasPort(c, port) {
			return true
		}
	}
	return false
}

func serviceHasPort(s *corev1.Service, port string) bool {
	for _, p := range s.Spec.Ports {
		if fmt.Sprint(p.Port) == port {
			return true
		}
	}
	return false
}

func hasKey(cm *corev1.ConfigMap, key string) bool {
	_, inData := cm.Data[key]
	_, inBinary := cm.BinaryData[key]
	return inData || inBinary
}

func lastSegment(image string) string {
	return image[strings.LastIndex(image, "/")+1:]
}

func sortedServices(services map[string]*corev1.Service) []*corev1.Service {
	list := make([]*corev1.Service, 0, len(services))
	for _, s := range services {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}
