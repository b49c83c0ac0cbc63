// A second, independent client of localcloud: Alibaba Cloud's Node.js SDKs take a whole stack through its
// lifecycle (create, tag, describe with filters and paging, attach, listener, backends, errors, delete).
// In: LOCALCLOUD_ENDPOINT (host:port), ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, REGION, ZONE, IMAGE_ID, INSTANCE_TYPE.
// Out: one JSON document on stdout (what each step saw); exit 1 with {"error": ...} on the first failure.
import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import Vpc, * as $Vpc from '@alicloud/vpc20160428';
import OpenApi, * as $OpenApi from '@alicloud/openapi-client';
import * as $Util from '@alicloud/tea-util';
import PopCore from '@alicloud/pop-core';

const env = (name) => {
  if (!process.env[name]) throw new Error(`missing environment variable ${name}`);
  return process.env[name];
};
const ENDPOINT = env('LOCALCLOUD_ENDPOINT');
const REGION = env('REGION');
const ZONE = env('ZONE');
const KEY = { accessKeyId: env('ALIBABA_CLOUD_ACCESS_KEY_ID'), accessKeySecret: env('ALIBABA_CLOUD_ACCESS_KEY_SECRET') };
const TAG = { key: 'conformance', value: 'node' };

const sdkConfig = (Config) => new Config({ ...KEY, endpoint: ENDPOINT, protocol: 'http', regionId: REGION });
const ecs = new (Ecs.default || Ecs)(sdkConfig($OpenApi.Config));
const vpc = new (Vpc.default || Vpc)(sdkConfig($OpenApi.Config));
const generic = new (OpenApi.default || OpenApi)(sdkConfig($OpenApi.Config));
// The legacy client signs with HMAC-SHA1 (Signature/SignatureMethod in the query).
const legacy = (apiVersion) => new (PopCore.default || PopCore)({ ...KEY, endpoint: `http://${ENDPOINT}`, apiVersion });
const legacyEcs = legacy('2014-05-26');
const legacyVpc = legacy('2016-04-28');

const out = {};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A bounded poll: `read` until `done` holds, at most `tries` times (the emulator is instant: a few rounds suffice).
async function until(what, read, done, tries = 100) {
  let last;
  for (let i = 0; i < tries; i += 1) {
    last = await read();
    if (done(last)) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

// The error a call raises, as {code, status}; fails when it succeeds.
async function errorOf(call) {
  try {
    await call();
  } catch (err) {
    return { code: err.code || (err.data && err.data.Code), status: err.statusCode || (err.data && err.data.httpStatusCode) };
  }
  throw new Error('the call was expected to fail and succeeded');
}

// Deletes can answer a DependencyViolation for a while after what they depend on is gone (real clients retry).
async function deleting(what, call) {
  for (let i = 0; i < 100; i += 1) {
    try {
      return await call();
    } catch (err) {
      if (!String(err.code || '').startsWith('DependencyViolation')) throw err;
      await sleep(100);
    }
  }
  throw new Error(`${what} kept answering DependencyViolation`);
}

// SLB through the generic OpenAPI client (callApi with an RPC style Params).
async function slb(action, query) {
  const params = new $OpenApi.Params({
    action, version: '2014-05-15', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC',
    reqBodyType: 'formData', bodyType: 'json',
  });
  const request = new $OpenApi.OpenApiRequest({ query: { RegionId: REGION, ...query } });
  const response = await generic.callApi(params, request, new ($Util.RuntimeOptions || $Util.default.RuntimeOptions)({}));
  return response.body;
}

async function main() {
  // network ----------------------------------------------------------------------------------------------
  const createVpc = () => vpc.createVpc(new $Vpc.CreateVpcRequest({
    regionId: REGION, cidrBlock: '10.8.0.0/16', vpcName: 'conformance', clientToken: 'node-conformance-vpc',
  }));
  const vpcId = (await createVpc()).body.vpcId;
  out.vpcTokenReplay = (await createVpc()).body.vpcId === vpcId;
  await until('the VPC to be Available', async () => (await vpc.describeVpcs(new $Vpc.DescribeVpcsRequest({
    regionId: REGION, vpcId,
  }))).body.vpcs.vpc[0], (v) => v && v.status === 'Available');
  await vpc.modifyVpcAttribute(new $Vpc.ModifyVpcAttributeRequest({ regionId: REGION, vpcId, vpcName: 'conformance-2' }));
  out.vpcName = (await vpc.describeVpcAttribute(new $Vpc.DescribeVpcAttributeRequest({ regionId: REGION, vpcId }))).body.vpcName;
  await vpc.tagResources(new $Vpc.TagResourcesRequest({
    regionId: REGION, resourceType: 'VPC', resourceId: [vpcId], tag: [new $Vpc.TagResourcesRequestTag(TAG)],
  }));
  const vpcTags = (await vpc.listTagResources(new $Vpc.ListTagResourcesRequest({
    regionId: REGION, resourceType: 'VPC', resourceId: [vpcId],
  }))).body;
  out.vpcTags = vpcTags.tagResources.tagResource.map((t) => [t.tagKey, t.tagValue]);
  out.vpcTagsNextToken = vpcTags.nextToken;

  const vswId = (await vpc.createVSwitch(new $Vpc.CreateVSwitchRequest({
    regionId: REGION, vpcId, zoneId: ZONE, cidrBlock: '10.8.1.0/24', vSwitchName: 'conformance',
  }))).body.vSwitchId;
  const vsw = await until('the vSwitch to be Available', async () => (await vpc.describeVSwitches(
    new $Vpc.DescribeVSwitchesRequest({ regionId: REGION, vpcId }))).body.vSwitches.vSwitch[0],
  (v) => v && v.status === 'Available');
  out.vswitch = { id: vsw.vSwitchId === vswId, zone: vsw.zoneId, cidr: vsw.cidrBlock };

  // security groups --------------------------------------------------------------------------------------
  const group = async (name) => (await ecs.createSecurityGroup(new $Ecs.CreateSecurityGroupRequest({
    regionId: REGION, vpcId, securityGroupName: name, tag: [new $Ecs.CreateSecurityGroupRequestTag(TAG)],
  }))).body.securityGroupId;
  const sgId = await group('conformance-web');
  const sg2Id = await group('conformance-spare');
  await ecs.authorizeSecurityGroup(new $Ecs.AuthorizeSecurityGroupRequest({
    regionId: REGION, securityGroupId: sgId, permissions: [
      new $Ecs.AuthorizeSecurityGroupRequestPermissions({ ipProtocol: 'TCP', portRange: '80/80', sourceCidrIp: '0.0.0.0/0', policy: 'accept', priority: '1' }),
      new $Ecs.AuthorizeSecurityGroupRequestPermissions({ ipProtocol: 'TCP', portRange: '22/22', sourceCidrIp: '10.0.0.0/8', policy: 'accept', priority: '1' }),
    ],
  }));
  await ecs.modifySecurityGroupAttribute(new $Ecs.ModifySecurityGroupAttributeRequest({
    regionId: REGION, securityGroupId: sgId, securityGroupName: 'conformance-web-2', description: 'HTTP and SSH in',
  }));
  const sgAttribute = (await ecs.describeSecurityGroupAttribute(new $Ecs.DescribeSecurityGroupAttributeRequest({
    regionId: REGION, securityGroupId: sgId, direction: 'ingress',
  }))).body;
  out.securityGroup = {
    name: sgAttribute.securityGroupName, description: sgAttribute.description,
    ports: sgAttribute.permissions.permission.map((r) => r.portRange).sort(), nextToken: sgAttribute.nextToken,
  };
  // NextToken/MaxResults paging over the two tagged groups, one per page.
  const sgPages = [];
  let token;
  for (let i = 0; i < 5; i += 1) {
    const body = (await ecs.describeSecurityGroups(new $Ecs.DescribeSecurityGroupsRequest({
      regionId: REGION, vpcId, maxResults: 1, nextToken: token, tag: [new $Ecs.DescribeSecurityGroupsRequestTag(TAG)],
    }))).body;
    sgPages.push({ ids: body.securityGroups.securityGroup.map((g) => g.securityGroupId), nextToken: body.nextToken });
    token = body.nextToken;
    if (!token) break;
  }
  out.securityGroupPages = sgPages.map((p) => ({ count: p.ids.length, lastPage: p.nextToken === '' }));
  out.securityGroupPagesCoverBoth = JSON.stringify(sgPages.flatMap((p) => p.ids).sort()) === JSON.stringify([sgId, sg2Id].sort());

  // instances --------------------------------------------------------------------------------------------
  const run = (await ecs.runInstances(new $Ecs.RunInstancesRequest({
    regionId: REGION, imageId: env('IMAGE_ID'), instanceType: env('INSTANCE_TYPE'), vSwitchId: vswId,
    securityGroupId: sgId, amount: 3, instanceName: 'conformance-[1,1]', clientToken: 'node-conformance-run',
    tag: [new $Ecs.RunInstancesRequestTag(TAG)],
  }))).body;
  const instanceIds = run.instanceIdSets.instanceIdSet;
  out.instancesRun = instanceIds.length;
  const byTag = (extra) => new $Ecs.DescribeInstancesRequest({
    regionId: REGION, vpcId, tag: [new $Ecs.DescribeInstancesRequestTag(TAG)], ...extra,
  });
  await until('the instances to be Running', async () => (await ecs.describeInstances(byTag({ pageSize: 10 })))
    .body.instances.instance, (list) => list.length === 3 && list.every((i) => i.status === 'Running'));
  const page1 = (await ecs.describeInstances(byTag({ pageSize: 2, pageNumber: 1 }))).body;
  const page2 = (await ecs.describeInstances(byTag({ pageSize: 2, pageNumber: 2 }))).body;
  const paged = [...page1.instances.instance, ...page2.instances.instance].map((i) => i.instanceId);
  out.instancePages = { totalCount: page1.totalCount, sizes: [page1.instances.instance.length, page2.instances.instance.length],
    allSeen: JSON.stringify([...paged].sort()) === JSON.stringify([...instanceIds].sort()) };
  const tokenPage = (await ecs.describeInstances(byTag({ maxResults: 10 }))).body;
  out.instanceTokenPage = { count: tokenPage.instances.instance.length, nextToken: tokenPage.nextToken };
  const first = tokenPage.instances.instance.find((i) => i.instanceId === instanceIds[0]);
  out.instanceAddress = { vpc: first.vpcAttributes.vpcId === vpcId,
    inVSwitch: first.vpcAttributes.privateIpAddress.ipAddress[0].startsWith('10.8.1.') };
  const attribute = (await ecs.describeInstanceAttribute(new $Ecs.DescribeInstanceAttributeRequest({ instanceId: instanceIds[0] }))).body;
  out.instanceAttribute = { status: attribute.status, securityGroups: attribute.securityGroupIds.securityGroupId };

  // The old single-instance create: the instance is created Stopped.
  const oldId = (await ecs.createInstance(new $Ecs.CreateInstanceRequest({
    regionId: REGION, imageId: env('IMAGE_ID'), instanceType: env('INSTANCE_TYPE'), vSwitchId: vswId, securityGroupId: sgId,
  }))).body.instanceId;
  const old = await until('CreateInstance to settle', async () => (await ecs.describeInstanceAttribute(
    new $Ecs.DescribeInstanceAttributeRequest({ instanceId: oldId }))).body, (a) => a.status !== 'Pending');
  out.createInstanceStatus = old.status;
  await ecs.deleteInstance(new $Ecs.DeleteInstanceRequest({ instanceId: oldId }));

  // The legacy signature (HMAC-SHA1) reads the same instances.
  const legacyRead = await legacyEcs.request('DescribeInstances', {
    RegionId: REGION, VpcId: vpcId, 'Tag.1.Key': TAG.key, 'Tag.1.Value': TAG.value,
  }, { method: 'POST' });
  out.legacyInstances = legacyRead.Instances.Instance.length;

  // disks --------------------------------------------------------------------------------------------------
  const diskId = (await ecs.createDisk(new $Ecs.CreateDiskRequest({
    regionId: REGION, zoneId: ZONE, size: 40, diskCategory: 'cloud_essd', diskName: 'conformance',
    tag: [new $Ecs.CreateDiskRequestTag(TAG)],
  }))).body.diskId;
  const readDisk = async () => (await ecs.describeDisks(new $Ecs.DescribeDisksRequest({
    regionId: REGION, diskIds: JSON.stringify([diskId]),
  }))).body.disks.disk[0];
  await until('the disk to be Available', readDisk, (d) => d && d.status === 'Available');
  await ecs.attachDisk(new $Ecs.AttachDiskRequest({ instanceId: instanceIds[0], diskId }));
  await ecs.modifyDiskAttribute(new $Ecs.ModifyDiskAttributeRequest({
    regionId: REGION, diskId, diskName: 'conformance-model', deleteWithInstance: false,
  }));
  const attached = await until('the disk to be In_use', readDisk, (d) => d.status === 'In_use');
  out.disk = { instance: attached.instanceId === instanceIds[0], name: attached.diskName,
    deleteWithInstance: attached.deleteWithInstance, device: attached.device };

  // load balancer ----------------------------------------------------------------------------------------
  const lb = await slb('CreateLoadBalancer', {
    VSwitchId: vswId, AddressType: 'intranet', InstanceChargeType: 'PayByCLCU', LoadBalancerName: 'conformance',
    ClientToken: 'node-conformance-lb', 'Tag.1.Key': TAG.key, 'Tag.1.Value': TAG.value,
  });
  const lbId = lb.LoadBalancerId;
  await slb('CreateLoadBalancerHTTPListener', {
    LoadBalancerId: lbId, ListenerPort: 80, BackendServerPort: 8080, Bandwidth: -1, HealthCheck: 'on',
    HealthCheckURI: '/health', StickySession: 'off',
  });
  await slb('StartLoadBalancerListener', { LoadBalancerId: lbId, ListenerPort: 80 });
  await slb('AddBackendServers', {
    LoadBalancerId: lbId,
    BackendServers: JSON.stringify(instanceIds.map((id) => ({ ServerId: id, Weight: '100', Type: 'ecs' }))),
  });
  const lbAttribute = await until('the listener to run', () => slb('DescribeLoadBalancerAttribute', { LoadBalancerId: lbId }),
    (a) => (a.ListenerPortsAndProtocol.ListenerPortAndProtocol || []).length === 1);
  const listener = await until('the listener to be running', () => slb('DescribeLoadBalancerHTTPListenerAttribute', {
    LoadBalancerId: lbId, ListenerPort: 80 }), (l) => l.Status === 'running');
  const health = await slb('DescribeHealthStatus', { LoadBalancerId: lbId, ListenerPort: 80 });
  out.loadBalancer = {
    chargeType: lbAttribute.InstanceChargeType, addressType: lbAttribute.AddressType, vSwitch: lbAttribute.VSwitchId === vswId,
    backends: lbAttribute.BackendServers.BackendServer.map((b) => b.ServerId).sort().join(',') === [...instanceIds].sort().join(','),
    listenerStatus: listener.Status, listenerBackendPort: listener.BackendServerPort,
    healthRows: health.BackendServers.BackendServer.length,
  };

  // expected errors --------------------------------------------------------------------------------------
  out.errors = {
    badStatus: await errorOf(() => ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION, status: 'Sleeping' }))),
    unknownInstance: await errorOf(() => ecs.describeInstanceAttribute(new $Ecs.DescribeInstanceAttributeRequest({ instanceId: 'i-nope' }))),
    vpcInUse: await errorOf(() => legacyVpc.request('DeleteVpc', { RegionId: REGION, VpcId: vpcId }, { method: 'POST' })),
    unknownLoadBalancer: await errorOf(() => slb('DescribeLoadBalancerAttribute', { LoadBalancerId: 'lb-nope' })),
    badDiskName: await errorOf(() => ecs.modifyDiskAttribute(new $Ecs.ModifyDiskAttributeRequest({ regionId: REGION, diskId, diskName: 'http://x' }))),
  };

  // delete everything --------------------------------------------------------------------------------------
  await slb('DeleteLoadBalancerListener', { LoadBalancerId: lbId, ListenerPort: 80 });
  await slb('DeleteLoadBalancer', { LoadBalancerId: lbId });
  await ecs.detachDisk(new $Ecs.DetachDiskRequest({ instanceId: instanceIds[0], diskId }));
  await until('the disk to be Available', readDisk, (d) => d.status === 'Available');
  await ecs.deleteDisk(new $Ecs.DeleteDiskRequest({ diskId }));
  await ecs.deleteInstances(new $Ecs.DeleteInstancesRequest({ regionId: REGION, instanceId: instanceIds, force: true }));
  await until('the instances to be gone', async () => (await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({
    regionId: REGION, vpcId }))).body.instances.instance, (list) => list.length === 0);
  for (const id of [sgId, sg2Id]) {
    await deleting('DeleteSecurityGroup', () => ecs.deleteSecurityGroup(new $Ecs.DeleteSecurityGroupRequest({ regionId: REGION, securityGroupId: id })));
  }
  await deleting('DeleteVSwitch', () => vpc.deleteVSwitch(new $Vpc.DeleteVSwitchRequest({ regionId: REGION, vSwitchId: vswId })));
  await until('the vSwitch to be gone', async () => (await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({
    regionId: REGION, vpcId }))).body.vSwitches.vSwitch, (list) => list.length === 0);
  await deleting('DeleteVpc', () => vpc.deleteVpc(new $Vpc.DeleteVpcRequest({ regionId: REGION, vpcId })));
  await until('the VPC to be gone', async () => (await vpc.describeVpcs(new $Vpc.DescribeVpcsRequest({
    regionId: REGION, vpcId }))).body.vpcs.vpc, (list) => list.length === 0);

  out.left = {
    vpcs: (await vpc.describeVpcs(new $Vpc.DescribeVpcsRequest({ regionId: REGION }))).body.totalCount,
    instances: (await ecs.describeInstances(new $Ecs.DescribeInstancesRequest({ regionId: REGION }))).body.totalCount,
    disks: (await ecs.describeDisks(new $Ecs.DescribeDisksRequest({ regionId: REGION }))).body.totalCount,
    securityGroups: (await ecs.describeSecurityGroups(new $Ecs.DescribeSecurityGroupsRequest({ regionId: REGION }))).body.totalCount,
    loadBalancers: (await slb('DescribeLoadBalancers', {})).TotalCount,
  };
}

main().then(() => {
  process.stdout.write(`${JSON.stringify(out)}\n`);
}, (err) => {
  process.stdout.write(`${JSON.stringify({ error: String(err && (err.stack || err)), code: err && err.code, partial: out })}\n`);
  process.exit(1);
});
